"""Diagram cells: the unrolled RNN, the LSTM and GRU cells, the CUDA tile, drawn by matplotlib.

Each function returns the source of a read-only code cell. The drawing helpers come first in
every cell (a notebook must stand alone); nothing is downloaded.
"""
from textwrap import dedent

from cells import code

_HELPERS = r'''
# drawing helpers (a diagram, not part of the exercise)
import matplotlib.pyplot as plt
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch, Rectangle


def box(ax, x, y, text, w=1.0, h=0.6, color="#dbe9f6", fontsize=10):
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.02",
                                fc=color, ec="k", lw=1))
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize)


def node(ax, x, y, text, r=0.22, color="#fde2c4"):
    ax.add_patch(Circle((x, y), r, fc=color, ec="k", lw=1))
    ax.text(x, y, text, ha="center", va="center", fontsize=11)


def arrow(ax, p, q, text=None, color="k", offset=(0.08, 0.08), rad=0.0):
    ax.add_patch(FancyArrowPatch(p, q, arrowstyle="-|>", mutation_scale=12, lw=1.1,
                                 color=color, connectionstyle=f"arc3,rad={rad}",
                                 shrinkA=4, shrinkB=4))
    if text:
        ax.text((p[0] + q[0]) / 2 + offset[0], (p[1] + q[1]) / 2 + offset[1], text,
                fontsize=9, color=color)


def canvas(width, height, title):
    fig, ax = plt.subplots(figsize=(width, height))
    ax.set_xlim(0, 2 * width)
    ax.set_ylim(0, 2 * height)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title, fontsize=11)
    return fig, ax
'''


def _cell(grade_id, drawing):
    return code(grade_id, _HELPERS.strip("\n") + "\n\n\n" + dedent(drawing).strip("\n") +
                "\nplt.show()\n")


def unrolled_rnn(grade_id="diagram_unrolled"):
    return _cell(grade_id, r"""
    fig, ax = canvas(11, 4.0, "An RNN unrolled over T = 4 steps: the same W_ih and W_hh at "
                              "every step; BPTT walks the arrows backwards")
    ax.text(11, 7.5, "each step: h = tanh(x[:, t] W_ihᵀ + b_ih + h W_hhᵀ + b_hh)",
            ha="center", fontsize=9)
    ax.text(0.2, 3.6, "h0", fontsize=11, va="center")
    for t in range(4):
        x0 = 3.5 + 4.9 * t
        box(ax, x0, 3.6, f"step t = {t}\nh = tanh(a)", w=2.8, h=1.2, fontsize=9)
        ax.text(x0, 0.5, f"x[:, {t}]  (N, D)", ha="center", fontsize=9)
        arrow(ax, (x0, 0.9), (x0, 3.0), "W_ih", offset=(0.15, 0))
        arrow(ax, (x0, 4.2), (x0, 6.2))
        ax.text(x0, 6.4, f"h[:, {t}]  (N, H)", ha="center", fontsize=9)
        start = 1.0 if t == 0 else x0 - 4.9 + 1.4
        arrow(ax, (start, 3.6), (x0 - 1.4, 3.6), "W_hh" if t else None, offset=(-0.7, 0.2))
    """)


def lstm_cell(grade_id="diagram_lstm"):
    return _cell(grade_id, r"""
    fig, ax = canvas(11, 4.2, "The LSTM cell (gate order i | f | g | o): "
                              "c_next = f ⊙ c_prev + i ⊙ g,  h_next = o ⊙ tanh(c_next)")
    # the cell state runs along the top: only scaled by f and added to, never squashed
    ax.text(0.2, 7.2, "c_prev", fontsize=10, va="center")
    node(ax, 5.0, 7.2, "⊙")
    node(ax, 10.0, 7.2, "+")
    ax.text(19.6, 7.2, "c_next", fontsize=10, va="center")
    arrow(ax, (1.6, 7.2), (4.8, 7.2))
    arrow(ax, (5.2, 7.2), (9.8, 7.2))
    arrow(ax, (10.2, 7.2), (19.5, 7.2))
    gates = [("f = σ(·)", 5.0, "#f6d5d5"), ("i = σ(·)", 8.0, "#d5f6d9"),
             ("g = tanh(·)", 11.0, "#d5f6d9"), ("o = σ(·)", 14.0, "#e6dcf6")]
    for text, x0, color in gates:
        box(ax, x0, 3.2, text, w=2.4, h=0.8, color=color)
        arrow(ax, (x0, 1.3), (x0, 2.8))
    box(ax, 9.5, 0.9, "a = x W_ihᵀ + b_ih + h_prev W_hhᵀ + b_hh   (N, 4H): rows i | f | g | o",
        w=17.0, h=0.7, color="#eeeeee", fontsize=9)
    arrow(ax, (5.0, 3.6), (5.0, 7.0), "f", offset=(0.2, 0))
    node(ax, 9.5, 5.2, "⊙")
    arrow(ax, (8.0, 3.6), (9.35, 5.0), "i", offset=(-0.6, 0))
    arrow(ax, (11.0, 3.6), (9.65, 5.0), "g", offset=(0.3, 0))
    arrow(ax, (9.55, 5.4), (9.95, 7.0))
    box(ax, 16.5, 6.0, "tanh", w=1.4, h=0.6, color="#fde2c4")
    arrow(ax, (16.5, 7.2), (16.5, 6.3))
    node(ax, 16.5, 4.6, "⊙")
    arrow(ax, (16.5, 5.7), (16.5, 4.8))
    arrow(ax, (14.0, 3.6), (16.3, 4.5), "o", offset=(-0.2, 0.2))
    arrow(ax, (16.7, 4.6), (19.5, 4.6))
    ax.text(19.6, 4.6, "h_next", fontsize=10, va="center")
    """)


def gru_cell(grade_id="diagram_gru"):
    return _cell(grade_id, r"""
    fig, ax = canvas(11, 4.2, "The GRU cell (gate order r | z | n, \"reset after\"): "
                              "h_next = (1 - z) ⊙ n + z ⊙ h_prev")
    ax.text(0.2, 7.2, "h_prev", fontsize=10, va="center")
    arrow(ax, (1.6, 7.2), (15.8, 7.2))
    node(ax, 16.0, 7.2, "⊙")
    node(ax, 16.0, 4.6, "⊙")
    node(ax, 18.0, 5.9, "+")
    arrow(ax, (16.2, 7.1), (17.85, 6.05))
    arrow(ax, (16.2, 4.7), (17.85, 5.75))
    arrow(ax, (18.2, 5.9), (19.5, 5.9))
    ax.text(19.6, 5.9, "h_next", fontsize=10, va="center")
    box(ax, 3.5, 3.0, "r = σ(·)", w=2.4, h=0.8, color="#f6d5d5")
    box(ax, 7.5, 3.0, "z = σ(·)", w=2.4, h=0.8, color="#e6dcf6")
    box(ax, 12.6, 3.0, "n = tanh(x W_inᵀ + b_in\n+ r ⊙ (h W_hnᵀ + b_hn))", w=4.8, h=1.1,
        color="#d5f6d9", fontsize=9)
    box(ax, 9.5, 0.8, "x W_ihᵀ + b_ih   and   h_prev W_hhᵀ + b_hh   (N, 3H): rows r | z | n",
        w=17.0, h=0.7, color="#eeeeee", fontsize=9)
    for x0 in (3.5, 7.5, 12.6):
        arrow(ax, (x0, 1.2), (x0, 2.45 if x0 > 10 else 2.6))
    arrow(ax, (3.5, 2.6), (10.2, 2.6), "r", offset=(-1.6, -0.75), rad=0.25)
    arrow(ax, (15.0, 3.3), (15.8, 4.45), "n", offset=(0.2, -0.3))
    arrow(ax, (8.2, 3.4), (15.8, 4.75), "1 - z", offset=(-0.5, 0.3))
    arrow(ax, (7.8, 3.4), (15.8, 7.0), "z", offset=(-0.6, 0.5))
    ax.text(0.2, 5.4, "\"reset before\" (Keras, textbooks):\n"
            "n = tanh(x W_inᵀ + b_in + (r ⊙ h) W_hnᵀ + b_hn)", fontsize=8.5)
    """)


def cuda_tile(grade_id="diagram_tile"):
    return _cell(grade_id, r"""
    fig, ax = canvas(11, 4.0, "Tiled matrix product C = A B: one thread block computes one "
                              "TILE × TILE block of C")
    side = 1.0  # drawn size of one tile
    rows_A, inner, cols_B = 4, 5, 4  # tiles along M, K and N


    def tiles(x0, y0, rows, cols, name, highlight):
        for r in range(rows):
            for c in range(cols):
                ax.add_patch(Rectangle((x0 + c * side, y0 + (rows - 1 - r) * side), side, side,
                                       fc=highlight.get((r, c), "white"), ec="gray", lw=0.6))
        ax.text(x0 + cols * side / 2, y0 - 0.5, name, ha="center", fontsize=10)


    k, row, col = 1, 2, 1  # the loop step shown, and this block's tile of C
    A = {(row, c): "#fde2c4" for c in range(inner)} | {(row, k): "#f39c4a"}
    B = {(r, col): "#d5e8f6" for r in range(inner)} | {(k, col): "#4a90d9"}
    tiles(0.5, 1.2, rows_A, inner, "A (M, K)", A)
    tiles(7.0, 0.7, inner, cols_B, "B (K, N)", B)
    tiles(13.0, 1.2, rows_A, cols_B, "C (M, N)", {(row, col): "#8fd18f"})
    ax.text(17.4, 4.6, "green: this block's\ntile of C, one\nelement per thread", fontsize=8.5)
    ax.text(17.4, 2.6, "dark: the tiles\nloaded into shared\nmemory (sA, sB)\nat step k = 1",
            fontsize=8.5)
    ax.text(0.5, 7.4, "The block (blockIdx.y = tile row, blockIdx.x = tile column) walks along "
            "k: load one tile of A and one of B", fontsize=9)
    ax.text(0.5, 6.8, "into shared memory, syncthreads, accumulate TILE products per thread, "
            "syncthreads before the next load.", fontsize=9)
    """)
