"""Streamlit-only helpers shared by the pages: state and links, data sources, cached models,
pickers, the shared block of controls and the static teaching prose.

Together with the pages, this is the only code that imports streamlit (CONVENTIONS.md, Layout).
No maths lives here: numbers come from ``cutmix_core``, and every sentence that depends on a
number from ``cutmix_core.views.describe``, where it is tested against the numbers it describes.

Modules, lowest first (each imports only those before it):

- ``server``: what one server process sets up once: one torch thread, the collector told to
  skip the imported libraries;
- ``render``: images as PNG bytes, cached by content;
- ``model_cache``: the Models page's per-setting cache (both models' explanations, sweeps,
  figures and encoded panels) and running the models at once;
- ``state``: widget defaults through session state, shareable links, the seed and alpha params;
- ``sources``: the CIFAR-10 set in use, upload decoding and the shared sidebar;
- ``pickers``: one image (CIFAR-10 pick, upload or camera), a seeded random pair, size policy;
- ``controls``: the block "A, B, alpha, seed, resample, random pair, size policy, share";
- ``models``: cached checkpoints and ImageNet models, the cached explanation, "model says";
- ``model_panel``: one model's column on the Models page;
- ``prose``: the long explanations, as markdown and LaTeX blocks.

Cached functions (``st.cache_data``, ``st.cache_resource``) take keyword-only arguments:
Streamlit looks each positional argument's name up with ``inspect.signature`` on every call (to
leave ``_``-named ones out of the key), a rerun calls a dozen of them, and keywords skip the
lookup for the same key (tests/app/test_cached.py). The key hashes keywords in the order they
are passed, so every call site passes them in the order of the signature.
"""
