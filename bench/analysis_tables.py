"""Print the tables of docs/results/analysis.md (computed, not timed; fixed seeds).

Run from the repository root: ``python bench/analysis_tables.py`` (about 3 minutes on one core).
"""
from fxp import analysis

VRR_CASES = [  # (n, m_acc, m_p, chunk)
    (64, 4, 5, None), (64, 6, 5, None), (576, 6, 5, None), (576, 8, 5, None),
    (576, 10, 5, None), (4608, 8, 5, None), (4608, 10, 5, None), (4608, 8, 5, 64),
    (4608, 4, 3, None), (16384, 6, 5, None), (16384, 6, 5, 64),
]
GEMM_LENGTHS = [  # GEMM lengths of ResNet layers (Sakr et al. 2019)
    ("FWD ResNet-32 3x3x64", 576), ("FWD ResNet-18 3x3x512", 4608),
    ("GRAD ResNet-18 7x7, B=256", 12544), ("GRAD ResNet-32 B=128", 131072),
    ("GRAD ResNet-18 56x56 B=256", 802816),
]
OVERFLOW_CASES = [(256, 28), (1024, 29), (1024, 30), (1024, 31), (4096, 31), (4096, 32), (4096, 33)]


def table(header, rows):
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(str(v) for v in row) + " |", flush=True)


def main():
    print("## overflow probability vs GEMM (s16.12 operands from N(0, 1), 24 fraction bits)")
    table(["K", "acc_bits", "model, any partial sum", "model, final sum", "GEMM measured"],
          ([k, bits, f"{analysis.overflow_probability(k, 1.0, bits, 24):.4f}",
            f"{analysis.overflow_probability(k, 1.0, bits, 24, mid_sum=False):.4f}",
            f"{analysis.empirical_overflow_rate(k, 1.0, 1.0, 's16.12', 's16.12', bits, 8192):.4f}"]
           for k, bits in OVERFLOW_CASES))
    print("\n## VRR")
    rows = []
    for n, m_acc, m_p, chunk in VRR_CASES:
        trials = 2000 if n <= 4608 else 600
        values = [analysis.vrr(n, m_acc, m_p, chunk),
                  analysis.vrr(n, m_acc, m_p, chunk, model="stagnation"),
                  analysis.empirical_vrr(n, m_acc, m_p, chunk, n_trials=trials, normalize="exact"),
                  analysis.empirical_vrr(n, m_acc, m_p, chunk, n_trials=trials)]
        rows.append([n, m_acc, m_p, chunk or "-"] + [f"{v:.4f}" for v in values])
    table(["n", "m_acc", "m_p", "chunk", "per_term", "stagnation", "emulated, exact sum",
           "emulated, truncating adder"], rows)
    print("\n## minimum m_acc, exp(n (1 - VRR)) < 50, m_p = 5")
    table(["GEMM", "n", "per_term", "per_term, chunk 64", "stagnation"],
          ([name, n, analysis.min_acc_mantissa(n, 5), analysis.min_acc_mantissa(n, 5, chunk=64),
            analysis.min_acc_mantissa(n, 5, model="stagnation")] for name, n in GEMM_LENGTHS))


if __name__ == "__main__":
    main()
