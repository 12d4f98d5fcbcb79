"""Output formats, one module each (`text`, `concise`, `json`), each with a `render`.

Reporters depend only on `evalguard.diagnostics` (and rich), so they can be imported
and tested without the analysis or libcst.
"""
