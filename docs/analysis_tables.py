"""Print the tables of docs/analysis.md (run: python docs/analysis_tables.py)."""
import math, time
import numpy as np
from fxp import analysis as an
print("## VRR table")
print("| n | m_acc | m_p | chunk | per_term | stagnation | emulated, exact sum | emulated, truncating adder |")
print("|---|---|---|---|---|---|---|---|")
for n, m_acc, m_p, chunk in [(64,4,5,None),(64,6,5,None),(576,6,5,None),(576,8,5,None),(576,10,5,None),(4608,8,5,None),(4608,10,5,None),(4608,8,5,64),(4608,4,3,None),(16384,6,5,None),(16384,6,5,64)]:
    trials = 2000 if n <= 4608 else 600
    row = [an.vrr(n,m_acc,m_p,chunk), an.vrr(n,m_acc,m_p,chunk,model="stagnation"),
           an.empirical_vrr(n,m_acc,m_p,chunk,n_trials=trials,normalize="exact"),
           an.empirical_vrr(n,m_acc,m_p,chunk,n_trials=trials)]
    print(f"| {n} | {m_acc} | {m_p} | {chunk or '-'} | " + " | ".join(f"{v:.4f}" for v in row) + " |", flush=True)
print("\n## min m_acc (v(n) = exp(n(1-VRR)) < 50), m_p = 5")
print("| GEMM (B.6) | n | per_term | per_term, chunk 64 | stagnation |")
print("|---|---|---|---|---|")
for name, n in [("FWD ResNet-32 3x3x64", 576), ("FWD ResNet-18 3x3x512", 4608), ("GRAD ResNet-18 7x7, B=256", 12544), ("GRAD ResNet-32 B=128", 131072), ("GRAD ResNet-18 56x56 B=256", 802816)]:
    t=time.time()
    r = [an.min_acc_mantissa(n,5), an.min_acc_mantissa(n,5,chunk=64), an.min_acc_mantissa(n,5,model="stagnation")]
    print(f"| {name} | {n} | " + " | ".join(map(str, r)) + f" |", flush=True)
print("\n## overflow probability vs GEMM (s16.12 operands, sigma_a = sigma_b = 1, Q(acc_bits-24).24 accumulator)")
print("| K | acc_bits | model, any partial sum | model, final sum | GEMM measured |")
print("|---|---|---|---|---|")
for k, bits in [(256,28),(1024,29),(1024,30),(1024,31),(4096,31),(4096,32),(4096,33)]:
    pm = an.overflow_probability(k,1.0,bits,24); pf = an.overflow_probability(k,1.0,bits,24,mid_sum=False)
    e = an.empirical_overflow_rate(k,1.0,1.0,"s16.12","s16.12",bits,n_outputs=8192)
    print(f"| {k} | {bits} | {pm:.4f} | {pf:.4f} | {e:.4f} |", flush=True)
