# Training and analysis toolkit (issue 5): rnnkit train | sample | tune | analyze | gradcheck
.PHONY: test-toolkit train-charlm analyze-adding analyze-all bench-train

test-toolkit: $(STAMP)
	$(PY) -m pytest -n $(JOBS) --dist loadfile tests/toolkit

# the default run: a char-LSTM on Python's documentation, at most 10 minutes (runs/charlm.*)
train-charlm: $(STAMP)
	$(PY) -m rnnkit.cli train --out runs/charlm.npz

# LSTM and GRU solve the adding problem with T=100, the vanilla RNN does not (runs/analysis/)
analyze-adding: $(STAMP)
	$(PY) -m rnnkit.cli analyze adding --T 100 --steps 4000 --minutes 5

analyze-all: $(STAMP)
	$(PY) -m rnnkit.cli analyze complexity
	$(PY) -m rnnkit.cli analyze gradflow
	@if [ -f runs/charlm.npz ]; then $(PY) -m rnnkit.cli analyze report runs/charlm.npz && \
		$(PY) -m rnnkit.cli analyze gates runs/charlm.npz; fi

# training chars/s of the numba backend vs PyTorch CPU on the same model, in one run
bench-train: $(STAMP)
	$(PY) benchmarks/train_throughput.py --json runs/train_throughput.json
