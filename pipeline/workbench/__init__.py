"""The review workbench: translators review and approve machine drafts in the browser.

``pipeline review serve OUT`` serves, on 127.0.0.1 with an access token, a page per document
and language pair built from what ``pipeline translate --review`` left under OUT (the
segments sidecars, report.json) and from the translation memory. Approving a segment stores
it in that memory by the review import's own rule (``pipeline.review.importer``); a rebuild
runs the normal batch (``pipeline.run.run_batch``) for the document again.

``catalog`` reads the documents and their segments, ``approve`` saves with optimistic
concurrency, ``rebuild`` runs the batch in the background and renders PDF previews,
``markup`` highlights glossary terms, ``app`` is the Starlette application (token, CSRF,
pages, JSON API), ``server`` runs it with uvicorn.
"""
