"""Run one incremental sync in a child process (the `kill -9` test kills it mid-sync).

python -m tests.sync.sync_process DATABASE_URL INSTANCE_PATH PAGE_SIZE
"""

from __future__ import annotations

import sys
from pathlib import Path

from tests.conftest import make_test_app
from webapp.sync.models import SyncKind, SyncTrigger
from webapp.sync.service import run_sync


def main() -> None:
    """Sync once against the stored connection of the database given."""
    database_url, instance, page_size = sys.argv[1], sys.argv[2], int(sys.argv[3])
    app = make_test_app(database_url, Path(instance), SYNC_PAGE_SIZE=page_size)
    with app.app_context():
        outcome = run_sync(app, kind=SyncKind.INCREMENTAL, trigger=SyncTrigger.CLI)
    print(outcome.run.status if outcome.run else outcome.skipped, flush=True)  # noqa: T201


if __name__ == "__main__":
    main()
