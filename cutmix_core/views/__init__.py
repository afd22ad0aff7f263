"""What the pages show, without streamlit: plotly figures, captions and every sentence that
depends on numbers, and the page-facing helpers that turn library results into them."""
