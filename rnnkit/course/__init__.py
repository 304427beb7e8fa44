"""The instructor's pipeline for the nbgrader course in ``course/``.

    release     build the student version of every assignment (course/release/)
    autograde   grade every submission in course/submitted/, several students in parallel
    feedback    HTML feedback per student, without the hidden tests
    export      grades.csv, with the submissions that failed to grade or were flagged
    lab         open JupyterLab on a student's copy of the release
    demo        all of the above on the bundled example submissions

Each step is a function here and a subcommand of ``rnnkit course``; ``make release`` etc. call
the subcommands. Autograding runs ``rnnkit.scale``'s engine: every notebook in a bubblewrap
sandbox, one coordinating process writing the gradebook (see ``autograde``).
"""
