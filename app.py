"""The mlc demo: per-label scores with a threshold slider per label, for text in any language.

    python app.py                      # the demo bundle (built from the embedded model on first start), 127.0.0.1:7860
    python app.py --help               # every option (flags, a --config file, or MLC_MODEL / GRADIO_SERVER_* variables)
    python app.py --model BUNDLE_DIR   # or MLC_MODEL=BUNDLE_DIR python app.py
    python app.py --share              # a public gradio.live link (needs internet)

Runs as a Hugging Face Space as it stands (README front matter; GRADIO_SERVER_NAME/PORT are honoured). Programmatic
callers use the `/predict` endpoint, e.g. `gradio_client.Client(URL).predict("text", "auto-detect", None,
api_name="/predict")`.
"""

import sys

from mlc.demo.app import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
