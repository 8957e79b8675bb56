# syntax=docker/dockerfile:1
#
# Quorum: one image for every process; the command picks the role.
#   docker run IMAGE             -> quorum api     (HTTP on :8000; the default)
#   docker run IMAGE worker      -> quorum worker  (Celery worker)
#   docker run IMAGE beat        -> quorum beat    (Celery beat)
#
# builder: installs exactly the main dependencies pinned in poetry.lock into /opt/venv
#          (no resolution, no dev tools), then the project itself as a wheel (non-editable).
# runtime: copies /opt/venv only; no Poetry, no sources, no tests; runs as uid 10001.
#
# Build: docker build -t quorum .   (needs BuildKit for the cache mount; default since 23.0)

ARG PYTHON_IMAGE=python:3.12-slim

# --------------------------------------------------------------------------- builder
FROM ${PYTHON_IMAGE} AS builder

# Same Poetry as the Makefile's POETRY_VERSION.
ARG POETRY_VERSION=2.5.1

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    POETRY_HOME=/opt/poetry \
    POETRY_NO_INTERACTION=1 \
    POETRY_CACHE_DIR=/var/cache/pypoetry \
    LITELLM_LOCAL_MODEL_COST_MAP=True \
    VIRTUAL_ENV=/opt/venv

# Poetry lives in its own venv; the app's venv never contains it. With VIRTUAL_ENV set
# (and no .venv in the build context) Poetry installs into /opt/venv.
RUN python -m venv "$POETRY_HOME" \
 && "$POETRY_HOME/bin/pip" install --quiet "poetry==${POETRY_VERSION}" \
 && python -m venv "$VIRTUAL_ENV"

WORKDIR /src

# Dependencies first, so this layer is rebuilt only when the lock changes.
# Poetry runs through tools/poetry_lock.py, exactly as the Makefile runs it.
COPY pyproject.toml poetry.lock README.md ./
COPY tools/poetry_lock.py tools/poetry_lock.py
RUN --mount=type=cache,target=/var/cache/pypoetry \
    "$POETRY_HOME/bin/python" tools/poetry_lock.py sync --only main --no-root --compile

# The project itself, built as a wheel and installed without touching the dependencies,
# then smoke-tested. One COPY per package root listed in pyproject.toml's
# [tool.poetry] packages (a test checks).
COPY libs libs
COPY apps apps
COPY benchmarks benchmarks
RUN "$POETRY_HOME/bin/python" tools/poetry_lock.py build --format wheel --output dist \
 && "$VIRTUAL_ENV/bin/pip" install --no-deps dist/*.whl \
 && "$VIRTUAL_ENV/bin/pip" check \
 && "$VIRTUAL_ENV/bin/quorum" --help >/dev/null

# --------------------------------------------------------------------------- runtime
FROM ${PYTHON_IMAGE} AS runtime

ENV PATH=/opt/venv/bin:$PATH \
    VIRTUAL_ENV=/opt/venv \
    HOME=/app/var \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    LITELLM_LOCAL_MODEL_COST_MAP=True \
    NUMBA_CACHE_DIR=/app/var/numba-cache

# --no-log-init: a high uid would otherwise grow a huge sparse /var/log/lastlog.
RUN groupadd --gid 10001 quorum \
 && useradd --uid 10001 --gid 10001 --no-log-init --no-create-home --home-dir /app/var \
        --shell /usr/sbin/nologin quorum

COPY --from=builder /opt/venv /opt/venv

# /opt/venv stays root-owned and read-only for the app; /app/var is its only writable place.
WORKDIR /app
RUN mkdir -p /app/var/numba-cache \
 && chown -R 10001:10001 /app/var

# Numeric, so Kubernetes' runAsNonRoot can verify it without reading /etc/passwd.
USER 10001:10001

# The numba kernels compiled into the image's cache (owned by the app's user): a worker's
# first scan loads them (~0.3 s) instead of compiling them (12-17 s of CPU). numba keys its
# cache on the CPU too: on a host of another CPU family the first process compiles again.
RUN python -c 'from quorum.analysis import warm_up_kernels; warm_up_kernels()'

EXPOSE 8000

# Liveness of the API process (the default command). urllib, because slim has no curl;
# any error or non-2xx answer raises, which exits 1 = unhealthy.
# Worker and beat containers serve no HTTP: compose and Kubernetes override this check for
# them with a `quorum status --json`-style probe (compose `healthcheck.test`, k8s `exec` probe).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:8000/health/live', timeout=4)"]

ENTRYPOINT ["quorum"]
CMD ["api"]
