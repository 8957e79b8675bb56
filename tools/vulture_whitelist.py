"""Names the dead-code gate (vulture, run by `make test`) must treat as used, each with why.

vulture only parses this file; nothing imports or runs it. A name listed here counts as
used wherever it is defined, so list the names of what is called or read by a framework,
a protocol or a test, never a name only to silence the gate. Patterns that cover a whole
kind (pydantic validators, Typer commands, Alembic revision ids …) are in
`[tool.vulture]` of pyproject.toml. Remove an entry when its definition goes.
"""

from typing import Any

_: Any = None

# -- protocols and hooks of the standard library and of dependencies, called by name ----
_.do_GET  # execution/paper/binance/routes.py: http.server dispatches GET to do_GET
_.do_POST  # execution/paper/binance/routes.py: http.server dispatches POST to do_POST
_.do_DELETE  # execution/paper/binance/routes.py: http.server dispatches DELETE to do_DELETE
_.log_message  # execution/paper/binance/routes.py: BaseHTTPRequestHandler hook (no access log)
_.protocol_version  # execution/paper/binance/routes.py: read by BaseHTTPRequestHandler
_.close_connection  # execution/paper/binance/routes.py: read by BaseHTTPRequestHandler
_.daemon_threads  # execution/paper/loopback.py: read by ThreadingHTTPServer
_.nonce  # execution/ccxt_broker.py: ccxt calls exchange.nonce() to stamp signed requests
_.formatTime  # telemetry/logging.py: logging.Formatter calls it for %(asctime)s
_.datefmt  # telemetry/logging.py: parameter of the formatTime override (signature fixed)
_.settings_customise_sources  # config/settings/app.py: pydantic-settings hook
_.dotenv_settings  # config/settings/app.py: parameter of that hook (signature fixed)
_.file_secret_settings  # config/settings/app.py: parameter of that hook (signature fixed)
_._load_env_vars  # config/settings/sources.py: EnvSettingsSource method pydantic-settings calls
_.acompletion  # llm/offline_provider.py: litellm CustomLLM entry point for async completions
_.suppress_debug_info  # llm/vendor.py: litellm module setting, read by litellm
_.init  # backtest/refcheck.py: backtesting.py calls Strategy.init before the first bar
_.isolation_level  # store/engine.py: pysqlite connection setting (disables implicit BEGIN)
_.itersize  # journal/rows.py: psycopg server-side cursor batch size, read by the driver
_.arraysize  # journal/rows.py: DB-API cursor fetchmany size, read by the driver
_.naming_convention  # store/base.py: SQLAlchemy MetaData reads it to name constraints
_.writeable  # analysis/patterns/inputs.py: numpy array flag (makes inputs read-only)
_.caption  # apps/cli/commands/llm.py: rich Table renders its caption
_.__qualname__  # apps/worker/tasks.py: names the generated Celery task functions
_.__doc__  # apps/worker/tasks.py: docstring of the generated Celery task functions
_.__class__  # lazy.py: swaps a module's class to give it lazy attributes

# -- table models: defining the class registers its table in SQLModel.metadata ----------
# (read by Alembic autogenerate and metadata.create_all; rows are queried through the
# tables, so the classes and some of their columns are never named in code)
_.ExecutionOrderRecord  # store/tables/execution.py: table execution_orders
_.ExecutionFillRecord  # store/tables/execution.py: table execution_fills
_.ExecutionPositionRecord  # store/tables/execution.py: table execution_positions
_.ExecutionBalanceRecord  # store/tables/execution.py: table execution_balances
_.ExecutionSwitchRecord  # store/tables/execution.py: table execution_switches
_.TradingStateRecord  # store/tables/execution.py: table trading_state
_.changed_at  # store/tables/execution.py: column of execution_switches
_.LLMCallRecord  # store/tables/llm.py: table of LLM calls (cost ledger)
_.LLMBudgetSpend  # store/tables/llm.py: table of budget spend
_.LLMBudgetHold  # store/tables/llm.py: table of budget holds
_.LLMCacheEntry  # store/tables/llm.py: table of the LLM response cache
_.LLMModelScore  # store/tables/llm.py: table of model scores
_.call_kind  # llm/ledger.py + store/tables/llm.py: ledger column, written by field name
_.PaperVenueRecord  # store/tables/paper.py: table of the stored paper venue
_.PaperOrderRecord  # store/tables/paper.py: table of paper venue orders
_.PaperTradeRecord  # store/tables/paper.py: table of paper venue trades
_.PipelineTaskRunRecord  # store/tables/pipeline.py: table of task runs
_.finished_at  # store/tables/pipeline.py: column of the task-run table
_.PipelineRulesStateRecord  # store/tables/pipeline.py: table of the risk rules state
_.PipelineSignalRecord  # store/tables/pipeline.py: table of signals
_.PipelineTradeRecord  # store/tables/pipeline.py: table of trades
_.PipelineScanMarkRecord  # store/tables/pipeline.py: table of scan marks
_.PipelineScoringRecord  # store/tables/pipeline.py: table of scoring state
_.PipelineSignalOpinionRecord  # store/tables/pipeline.py: table of the opinions behind signals
_.PipelineAnalysisBudgetRecord  # store/tables/pipeline.py: table pipeline_analysis_budget
_.llm_role  # store/tables/pipeline.py: column of the signal-opinions table (audit: fast / deep)
_.PipelineSweepRecord  # store/tables/sweep.py: table of the sweep's per-order backoff
_.last_state  # store/tables/sweep.py: column for operators (state at the last re-submission)
_.RunRecord  # store/tables/runs.py: table of run records
_.range_start  # store/tables/runs.py: column of the run table
_.range_end  # store/tables/runs.py: column of the run table

# -- fields of models that are serialized (API responses, journal payloads, reports) ----
_.expires_at  # apps/api/auth.py Caller, config/secrets/vault_session.py: token expiry, tested
_.total_usd  # apps/api/schemas.py: field of the LLM cost response
_.journal_seq  # apps/api/schemas.py: field of the kill-switch response
_.rules_version  # pipeline/reports.py: field of the status response (docs/openapi.json)
_.decided  # agents/state.py: LangGraph state key, written by the decide node's update
_.source_timeframe  # market/align.py: field of the alignment report
_.checked_at  # market/report.py: field of the data-quality report
_.description  # config/flags/spec.py: flag description shown by `quorum flags`
_.old_stop  # risk/actions.py: MoveStop field, journaled with the action
_.trigger_price  # risk/actions.py: ClosePosition field, journaled with the action
_.bin  # scoring/reliability.py: CalibrationRow field (bin index of the table)
_.buy_and_hold_return  # backtest/refcheck.py: field of the reference-check report
_.ours_exit  # backtest/refcheck.py: field of a trade comparison in that report
_.theirs_exit  # backtest/refcheck.py: field of a trade comparison in that report
_.pnl_per_unit_ours  # backtest/refcheck.py: field of a trade comparison in that report
_.pnl_per_unit_theirs  # backtest/refcheck.py: field of a trade comparison in that report

# -- settings read by name ---------------------------------------------------------------
_.non_finite  # market/quality.py: policy action per rule, read with getattr(policy, rule)
_.obv_window  # analysis/indicators.py: read by name through indicator_registry.py params
_.out_of_order  # market/quality.py: as above
_.non_positive_price  # market/quality.py: as above
_.ohlc  # market/quality.py: as above
_.negative_volume  # market/quality.py: as above
_.api_key_ref  # config/settings/trading.py: checked by name in config/live_guard.py
_.api_secret_ref  # config/settings/trading.py: checked by name in config/live_guard.py

# -- public API read by callers outside the scanned code (tests, operators, docs) -------
_.CcxtBroker  # execution/ccxt_broker.py: the live broker, tested; apps/bootstrap.py lacks it
_.openings  # execution/resilience.py: circuit-breaker open count, read by the chaos tests
_.last_checkpoint_error  # journal/journal.py: last failed checkpoint (journal README)
_.raise_for_damage  # journal/report.py: `journal.verify().raise_for_damage()` (journal README)
_.stop_distance  # domain/decision.py: Signal's stop distance, checked by domain tests
_.total_volume  # analysis/volume_profile.py: VolumeProfile total, checked by property tests
_.centers  # analysis/volume_profile.py: VolumeProfile bin centres, checked by tests
_.delegated  # backtest/frames.py: counter of delegated frame reads, checked by tests
_.aligned  # backtest/frames.py: counter of aligned frame reads, checked by tests
_.max_difference  # backtest/refcheck.py: reference-check comparison, checked by tests
_.max_relative_difference  # backtest/refcheck.py: as above
_.identical  # backtest/refcheck.py: as above
_.regimes  # market/synthetic.py: ground truth the synthetic-data tests check against
_.CONFIG_CHANGE  # domain/journal.py: journal kind nothing writes yet (reserved); the journal
# test kit cycles through list(JournalKind), so removing it would reshuffle those tests

# -- CLI commands loaded by name from apps/cli/main.py's COMMANDS table (lazy sub-commands)
_.backtest  # apps/cli/commands/backtest.py: the `quorum backtest` command
_.beat  # apps/cli/commands/worker.py: the `quorum beat` command
