"""How a failed check is shown: one message, wrapped, without the checker's own frames."""
import sys
import textwrap

#: the width messages are wrapped to (a notebook's output area, nbgrader's feedback page)
WIDTH = 100


def check_failure(message):
    """The AssertionError a failed check raises, shown in a notebook as its message alone.

    IPython (and so nbgrader's Validate dialog and the graded notebook) prints the result of
    ``_render_traceback_`` instead of a traceback: the checker's own frames tell a student
    nothing. Long prose lines are wrapped; lines of the student's own traceback are kept.
    """
    sys.stdout.flush()  # the lines of the checks that passed come first
    error = AssertionError(message)
    lines = wrap_message(f"AssertionError: {message}")
    error._render_traceback_ = lambda: list(lines)
    return error


def wrap_message(text, width=WIDTH):
    """The lines of `text`, prose wrapped at `width`; indented lines (code) kept as they are."""
    lines = []
    for line in text.splitlines():
        if line.startswith((" ", "\t")) or len(line) <= width:
            lines.append(line)
        else:
            lines += textwrap.wrap(line, width, break_long_words=False, break_on_hyphens=False)
    return lines


def label(exercise, variant):
    """The exercise's name and, for a cell with options, the variant being checked.

    'rnn_forward with nonlinearity="relu"': a student who fails a hidden relu test must not
    go looking for a bug in their tanh path.
    """
    options = exercise.variant_defaults()
    if not options:
        return exercise.name
    spelled = ", ".join(f'{k}="{variant[k]}"' if isinstance(variant[k], str) else
                        f"{k}={variant[k]}" for k in options)
    return f"{exercise.name} with {spelled}"


def headed(name, head, failure):
    """Every message names the function (with its variant) once, at the start."""
    if failure.startswith(name + " is not implemented"):
        return failure  # the same for every variant
    if failure.startswith(name + " "):
        return head + failure[len(name):]
    return f"{head}: {failure}"
