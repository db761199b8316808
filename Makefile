# The two commands of the README: `make demo` and `make test`. Each builds .venv when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SOUNDFONT := /usr/share/sounds/sf2/FluidR3_GM.sf2
DEMO_DIR ?= demo-soundtrack

.PHONY: demo test lint soundfont bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	# tinysoundfont's one dependency (PyAudio) is for live playback only and needs PortAudio;
	# of vibenet we use only the ONNX model in its wheel (its own deps pin typer<0.17).
	$(BIN)/python -m pip install --quiet --no-deps 'tinysoundfont>=0.3.7' 'vibenet==0.1.0'
	touch $(STAMP)

# The demo renders MIDI through Debian's General MIDI soundfont (package fluid-soundfont-gm).
soundfont:
	@if [ -z "$$HEARTSONG_SOUNDFONT" ] && [ ! -f $(SOUNDFONT) ]; then \
		echo "installing Debian package fluid-soundfont-gm (General MIDI soundfont)"; \
		SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq fluid-soundfont-gm; \
	fi

demo: $(STAMP) soundfont
	$(BIN)/heartsong demo $(DEMO_DIR)

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

test: $(STAMP) soundfont lint
	$(BIN)/python -m pytest -q tests --doctest-modules src/heartsong

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache
