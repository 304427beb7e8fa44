# The nbgrader course (course/): the instructor's pipeline. See `rnnkit course --help`.
#   make release      build course/release/ for every assignment
#   make autograde    grade course/submitted/ (JOBS students in parallel)
#   make feedback     course/feedback/ (hidden tests never shown)
#   make export       course/grades.csv and the score table
#   make lab STUDENT=alice   JupyterLab on a student's copy of the release
#   make solutions    regenerate solutions/ from course/source (executed, with figures)
#   make notebooks    regenerate course/source/*.ipynb from scripts/notebooks/
#   make course-demo  release + autograde the bundled examples + feedback + export
COURSE_CLI := $(PY) -m rnnkit.cli course
STUDENT ?= student

.PHONY: release autograde feedback export lab solutions notebooks examples course-demo

release: $(STAMP)
	$(COURSE_CLI) release

autograde: $(STAMP)
	$(COURSE_CLI) autograde --jobs $(JOBS)

feedback: $(STAMP)
	$(COURSE_CLI) feedback

export: $(STAMP)
	$(COURSE_CLI) export

lab: $(STAMP)
	$(COURSE_CLI) lab $(STUDENT)

notebooks: $(STAMP)
	$(PY) scripts/build_notebooks.py

examples: $(STAMP)
	$(PY) scripts/build_examples.py

solutions: $(STAMP)
	$(COURSE_CLI) solutions

course-demo: $(STAMP)
	$(COURSE_CLI) demo --jobs $(JOBS)
