"""The SQL views users query (created by migration 0002; the SQL is portable between SQLite and
PostgreSQL). Order rows in your query: views do not keep an order.

claim_timeline      one row per mention: when it was reported, by which source and article,
                    with the claim and the evidence sentence(s)
development_stages  the stage history of each development (institution, therapy, indication):
                    one row per stage with first/last reported dates and mention counts
claims_by_month     per month (YYYY-MM of the reporting date): how many claims were reported and
                    how many mentions there were, by therapy, by indication and by stage (in each
                    row exactly one of therapy / indication / stage is set, the others are NULL)
"""

CLAIM_TIMELINE = """
CREATE VIEW claim_timeline AS
SELECT m.id AS mention_id,
       m.seen_on AS reported_on,
       m.seen_month AS month,
       c.id AS claim_id,
       c.development_id,
       c.institution,
       c.institution_key,
       c.therapy,
       c.indication,
       c.stage,
       m.patients,
       m.outcome,
       s.name AS source,
       a.source_name AS outlet,
       a.url,
       a.title,
       a.id AS article_id,
       a.duplicate_of_id,
       m.evidence
FROM mentions m
JOIN claims c ON c.id = m.claim_id
JOIN articles a ON a.id = m.article_id
JOIN sources s ON s.id = a.source_id
"""

DEVELOPMENT_STAGES = """
CREATE VIEW development_stages AS
SELECT d.id AS development_id,
       d.institution,
       d.institution_key,
       d.therapy,
       d.indication,
       c.stage,
       c.id AS claim_id,
       c.first_seen AS first_reported,
       c.last_seen AS last_reported,
       c.mention_count,
       c.source_count
FROM developments d
JOIN claims c ON c.development_id = d.id
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

VIEWS = {
    "claim_timeline": CLAIM_TIMELINE,
    "development_stages": DEVELOPMENT_STAGES,
    "claims_by_month": CLAIMS_BY_MONTH,
}
