"""The SQL views users query (portable between SQLite and PostgreSQL; created by the latest
migration that changed them, which drops and recreates them; a revision whose views a later
one changes keeps a frozen copy of its own, as 0002 and 0004 do). Order rows in your query: views
do not keep an order.

claim_timeline       one row per mention (with the indication's group and ICD-10 code): when it was reported (reported_on; for an undated
                     article, dated is false and reported_on is the day it was read), how the
                     date was obtained (date_source: page, feed or fetched), by which source,
                     outlet and article, with the claim and the evidence sentence(s)
development_stages   the stage history of each development: one row per stage reached, with
                     its order (stage_order 0 research .. 4 approved), first/last reported dates
                     (from dated reports; dated false when no report of it states a date),
                     mentions and distinct outlets
development_events   the news events of each development: one row per event (reports of one
                     happening at one stage: a first and a second death are two), with its
                     stage and order, the occurrence its reports number (1 unless "a second
                     ..."), first/last reported (dated reports only; dated false when none is),
                     mentions, distinct outlets and articles
development_outlets  which outlets reported each development, with how many mentions and when
mentions_by_month    per month (dated reports only), therapy, stage and indication: claims,
                     developments and mentions, with the indication's group (indication_group:
                     "diabetes" for type 1 and type 2 diabetes; from the conditions table)
claims_by_month      per month (YYYY-MM of the publication date; undated reports are left out):
                     how many claims were reported and
                     how many mentions there were, by therapy, by indication and by stage (in each
                     row exactly one of therapy / indication / stage is set, the others are NULL)
"""

import importlib.util
from pathlib import Path

from parsers.models import Stage

STAGE_ORDER = "CASE c.stage " + " ".join(f"WHEN '{s.value}' THEN {s.order}" for s in Stage) + " END"

CLAIM_TIMELINE = """
CREATE VIEW claim_timeline AS
SELECT m.id AS mention_id,
       m.seen_on AS reported_on,
       m.seen_month AS month,
       m.dated,
       a.date_source,
       c.id AS claim_id,
       c.development_id,
       c.institution,
       c.institution_key,
       c.therapy,
       c.indication,
       cond.group_name AS indication_group,
       cond.icd10,
       c.stage,
       m.patients,
       m.outcome,
       s.name AS source,
       a.outlet,
       a.source_name AS outlet_name,
       a.url,
       a.title,
       a.published,
       a.fetched_at,
       a.id AS article_id,
       a.duplicate_of_id,
       m.event_id,
       m.evidence
FROM mentions m
JOIN claims c ON c.id = m.claim_id
JOIN articles a ON a.id = m.article_id
JOIN sources s ON s.id = a.source_id
LEFT JOIN conditions cond ON cond.name = c.indication
"""

DEVELOPMENT_STAGES = f"""
CREATE VIEW development_stages AS
SELECT d.id AS development_id,
       d.institution,
       d.institution_key,
       d.therapy,
       d.indication,
       d.product,
       c.stage,
       {STAGE_ORDER} AS stage_order,
       c.id AS claim_id,
       c.first_seen AS first_reported,
       c.last_seen AS last_reported,
       c.dated,
       c.mention_count,
       c.source_count,
       c.outlet_count
FROM developments d
JOIN claims c ON c.development_id = d.id
"""

DEVELOPMENT_OUTLETS = """
CREATE VIEW development_outlets AS
SELECT c.development_id,
       a.outlet,
       COUNT(*) AS mentions,
       MIN(CASE WHEN m.dated THEN m.seen_on END) AS first_reported,
       MAX(CASE WHEN m.dated THEN m.seen_on END) AS last_reported,
       MIN(m.seen_on) AS first_read_or_reported
FROM mentions m
JOIN claims c ON c.id = m.claim_id
JOIN articles a ON a.id = m.article_id
GROUP BY c.development_id, a.outlet
"""

DEVELOPMENT_EVENTS = f"""
CREATE VIEW development_events AS
SELECT e.id AS event_id,
       d.id AS development_id,
       d.institution,
       d.therapy,
       d.indication,
       d.product,
       c.stage,
       {STAGE_ORDER} AS stage_order,
       c.id AS claim_id,
       e.occurrence,
       e.first_reported,
       e.last_reported,
       CASE WHEN e.first_reported IS NULL THEN 0 ELSE 1 END = 1 AS dated,
       COUNT(m.id) AS mentions,
       COUNT(DISTINCT a.outlet) AS outlets,
       COUNT(DISTINCT m.article_id) AS articles,
       MIN(m.seen_on) AS first_read_or_reported
FROM events e
JOIN claims c ON c.id = e.claim_id
JOIN developments d ON d.id = c.development_id
JOIN mentions m ON m.event_id = e.id
JOIN articles a ON a.id = m.article_id
GROUP BY e.id, d.id, d.institution, d.therapy, d.indication, d.product, c.stage, c.id, e.occurrence,
         e.first_reported, e.last_reported
"""

CLAIMS_BY_MONTH = """
CREATE VIEW claims_by_month AS
SELECT month,
       NULLIF(therapy, '') AS therapy,
       NULLIF(indication, '') AS indication,
       NULLIF(stage, '') AS stage,
       claims,
       mentions
FROM monthly_counts
"""

MENTIONS_BY_MONTH = f"""
CREATE VIEW mentions_by_month AS
SELECT m.seen_month AS month,
       c.therapy,
       c.stage,
       {STAGE_ORDER} AS stage_order,
       c.indication,
       COALESCE(cond.group_name, c.indication) AS indication_group,
       COUNT(DISTINCT c.id) AS claims,
       COUNT(DISTINCT c.development_id) AS developments,
       COUNT(*) AS mentions
FROM mentions m
JOIN claims c ON c.id = m.claim_id
LEFT JOIN conditions cond ON cond.name = c.indication
WHERE m.dated
GROUP BY m.seen_month, c.therapy, c.stage, c.indication, cond.group_name
"""

VIEWS = {
    "claim_timeline": CLAIM_TIMELINE,
    "development_stages": DEVELOPMENT_STAGES,
    "development_outlets": DEVELOPMENT_OUTLETS,
    "development_events": DEVELOPMENT_EVENTS,
    "claims_by_month": CLAIMS_BY_MONTH,
    "mentions_by_month": MENTIONS_BY_MONTH,
}


def views_created_by(revision_file: str, name: str = "VIEWS_CREATED") -> dict[str, str]:
    """The views (name -> CREATE VIEW) an older migration froze, read from its file in
    ``storage/migrations/versions`` (revision files are not importable by module name)."""
    path = Path(__file__).with_name("migrations") / "versions" / revision_file
    spec = importlib.util.spec_from_file_location(f"revision_{revision_file[:4]}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, name)
