"""The hash-chained audit journal: append in the caller's transaction, verify, checkpoint.

``Journal.append(session, kind, payload, actor, run_id)`` records one entry in the same
database transaction as the state change it describes; ``verify_journal`` /
``Journal.verify`` walk the chain and hold it against Ed25519-signed checkpoints kept
outside the database. Damage kinds and the classification rules are documented in
``libs/quorum/journal/README.md``.
"""

from quorum.journal.canonical import canonical_json
from quorum.journal.carry import backup_checkpoint_dir, copy_checkpoints, copy_directory
from quorum.journal.checkpoints import (
    DEFAULT_CHECKPOINT_DIR,
    Checkpoint,
    CheckpointStore,
    CheckpointUnreadable,
    DirectoryCheckpointStore,
    default_checkpoint_dir,
    sign_checkpoint,
)
from quorum.journal.drafts import Draft, Head
from quorum.journal.explain import (
    ExplanationReport,
    OrderExplainer,
    Unexplained,
    explain_orders,
)
from quorum.journal.export import export_jsonl
from quorum.journal.flags import JournalFlagRecorder
from quorum.journal.hashing import DOMAIN_TAG, GENESIS_HASH, entry_hash, framed_hash
from quorum.journal.journal import LOCK_NAMESPACE, Journal
from quorum.journal.meta import JournalMeta, journal_id, read_meta, record_checkpointed
from quorum.journal.objectstore import (
    CheckpointStoreError,
    CheckpointStoreRefused,
    CheckpointStoreUnavailable,
    ObjectLock,
    ObjectStoreCheckpointStore,
)
from quorum.journal.report import DamageKind, VerifyReport
from quorum.journal.signers import (
    CheckpointSigner,
    Ed25519Signer,
    Signature,
    key_id,
    load_private_key,
    load_public_key,
    private_key_pem,
    public_key_pem,
    signature_valid,
)
from quorum.journal.store_factory import (
    StoreLocation,
    build_checkpoint_store,
    parse_store_location,
    s3_client,
)
from quorum.journal.vault_signer import VaultTransitSigner
from quorum.journal.verify import verify_journal

__all__ = [
    "DEFAULT_CHECKPOINT_DIR",
    "DOMAIN_TAG",
    "GENESIS_HASH",
    "LOCK_NAMESPACE",
    "Checkpoint",
    "CheckpointSigner",
    "CheckpointStore",
    "CheckpointStoreError",
    "CheckpointStoreRefused",
    "CheckpointStoreUnavailable",
    "CheckpointUnreadable",
    "DamageKind",
    "DirectoryCheckpointStore",
    "Draft",
    "Ed25519Signer",
    "ExplanationReport",
    "Head",
    "Journal",
    "JournalFlagRecorder",
    "JournalMeta",
    "ObjectLock",
    "ObjectStoreCheckpointStore",
    "OrderExplainer",
    "Signature",
    "StoreLocation",
    "Unexplained",
    "VaultTransitSigner",
    "VerifyReport",
    "backup_checkpoint_dir",
    "build_checkpoint_store",
    "canonical_json",
    "copy_checkpoints",
    "copy_directory",
    "default_checkpoint_dir",
    "entry_hash",
    "explain_orders",
    "export_jsonl",
    "framed_hash",
    "journal_id",
    "key_id",
    "load_private_key",
    "load_public_key",
    "parse_store_location",
    "private_key_pem",
    "public_key_pem",
    "read_meta",
    "record_checkpointed",
    "s3_client",
    "sign_checkpoint",
    "signature_valid",
    "verify_journal",
]
