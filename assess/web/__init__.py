"""The web mode (`assess serve`): a firm uploads its questionnaire, or fills it in the
browser, and gets its scorecard, its PDF report and its filled questionnaire back.

Layers: `app` (routes and pages), `form` (the online questionnaire from the field table),
`work` (what runs in the process pools: intake, engine, report), `pool`, `store` (results
in memory under a token), `safety` (body limits, in-memory multipart, rate limit,
security headers), `server` (uvicorn).  It sits beside `assess.cli` at the top of the
import contract and reuses intake, the engine and the report; nothing it is sent is
written to disk.
"""
