"""Migration 0015 fills the three teammate states from the data an older Signet stored."""

from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine, text

from webapp.schema import alembic_config, upgrade_to_head

TEAMMATES = (
    # id, active, [(status, active, removed)]
    (1, True, [("ACTIVE", True, False)]),
    (2, True, [("STAGED", True, False)]),
    (3, False, [("DEPROVISIONED", False, False)]),
    (4, False, [("ACTIVE", True, True)]),  # removed from Okta
    (5, True, [("SUSPENDED", False, False)]),  # held by an admin: still active
    (6, True, [("PROVISIONED", True, False)]),
)

INSERT_RECORD = (
    "INSERT INTO source_records (source, external_id, teammate_id, status, active, profile, "
    "display_name, first_seen_at, last_synced_at, removed_at) VALUES ('okta', :external_id, :id, "
    ":status, :active, '{}', 'x', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, "
    "CASE WHEN :removed THEN CURRENT_TIMESTAMP END)"
)


def test_states_are_backfilled_from_status_and_active(database_url: str) -> None:
    """STAGED records and their teammates become not yet active; inactive ones inactive; the rest active."""
    command.upgrade(alembic_config(database_url), "0014")
    engine = create_engine(database_url)
    try:
        with engine.begin() as connection:
            for teammate_id, active, records in TEAMMATES:
                connection.execute(
                    text(
                        "INSERT INTO teammates (id, active, display_name, created_at, updated_at) "
                        "VALUES (:id, :active, 'x', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                    ),
                    {"id": teammate_id, "active": active},
                )
                for status, record_active, removed in records:
                    connection.execute(
                        text(INSERT_RECORD),
                        {
                            "external_id": f"00u{teammate_id:017d}",
                            "id": teammate_id,
                            "status": status,
                            "active": record_active,
                            "removed": removed,
                        },
                    )
        upgrade_to_head(database_url)
        with engine.connect() as connection:
            teammates = dict(connection.execute(text("SELECT id, state FROM teammates")).all())
            records = dict(connection.execute(text("SELECT teammate_id, state FROM source_records")).all())
    finally:
        engine.dispose()
    assert teammates == {
        1: "active",
        2: "not_yet_active",
        3: "inactive",
        4: "inactive",
        5: "active",
        6: "active",
    }
    assert records == {
        1: "active",
        2: "not_yet_active",
        3: "inactive",
        4: "active",
        5: "inactive",
        6: "active",
    }
