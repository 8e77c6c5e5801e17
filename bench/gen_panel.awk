# gen_panel.awk -- a firm x year panel for bench/fixed_effects.sh:
#   awk -v firms=N -v years=T -v per=K -v seed=S -f bench/gen_panel.awk
# Every firm is seen in K distinct random years out of T (firms x K rows);
# x1..x5 are normal-ish (sums of uniforms), x1 correlated with the firm
# effect; y = x·(1, -0.5, 0.25, 2, -1) + firm effect + year effect + noise.
function nrm() { return rand() + rand() + rand() + rand() - 2 }
BEGIN {
    srand(seed)
    for (t = 1; t <= years; t++) ye[t] = nrm()
    print "y,x1,x2,x3,x4,x5,firm,year"
    for (f = 1; f <= firms; f++) {
        fe = 2 * nrm()
        for (t = 1; t <= years; t++) used[t] = 0
        for (k = 0; k < per; k++) {
            do t = 1 + int(rand() * years); while (used[t])
            used[t] = 1
            x1 = nrm() + 0.5 * fe; x2 = nrm(); x3 = nrm(); x4 = nrm(); x5 = nrm()
            y = x1 - 0.5 * x2 + 0.25 * x3 + 2 * x4 - x5 + fe + ye[t] + nrm()
            printf "%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,f%d,%d\n", y, x1, x2, x3, x4, x5, f, 2000 + t
        }
    }
}
