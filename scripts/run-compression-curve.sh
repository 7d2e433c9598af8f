#!/usr/bin/env bash
# The compression curve (docs/evaluation.md, "Compression curve"): the main job at H = 2, 4, 8 and
# 16, each run exactly as scripts/run-main.sh runs it (chr7 held out, chr16 for validation, the
# same training options and seed), then one table and one plot of
#   - held-out chr7 reconstruction MSE: Epi-LSTM, PCA of the representation's width H, and PCA of
#     the width the decoder really receives (h and c: 2H, capped at the number of tracks);
#   - downstream AP: the mean over task × cell-type pairs of the per-fold mean AP, and of the pooled
#     AP on the held-out chromosome, for Epi-LSTM, PCA of width H and the random-weights control.
#
#   scripts/run-compression-curve.sh [OUT]        (default results/compression)
#
# EPILSTM_BIN: an already built epilstm program (default: run-main.sh builds build/main);
# EPILSTM_HIDDENS: the widths (default "2 4 8 16"); EPILSTM_EPOCHS, EPILSTM_SEED as for run-main.sh.
# A width whose run finished (its evaluation/metrics.tsv exists) is not run again.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=${1:-$root/results/compression}
hiddens=${EPILSTM_HIDDENS:-"2 4 8 16"}
mkdir -p "$out"
t0=$SECONDS
for h in $hiddens; do
    run=$out/H$h
    if [ -f "$run/evaluation/metrics.tsv" ] && [ -f "$run/evaluation/reconstruction.tsv" ]; then
        echo "==> H=$h: done before ($run)"
        continue
    fi
    echo "==> H=$h: the main job into $run"
    EPILSTM_HIDDEN=$h EPILSTM_OUT=$run bash scripts/run-main.sh >"$run.log" 2>&1 \
        || { echo "run-compression-curve: the main job at H=$h failed, see $run.log" >&2; exit 1; }
    # run-main.sh builds the program once; the later widths reuse it.
    [ -n "${EPILSTM_BIN:-}" ] || export EPILSTM_BIN=$root/build/main/bin/epilstm
done

# One row per width, from each run's reconstruction.tsv and metrics.tsv.
/usr/bin/python3 - "$out" $hiddens <<'PY'
import csv, math, re, sys
out, hiddens = sys.argv[1], [int(h) for h in sys.argv[2:]]

def mean(v):
    v = [x for x in v if not math.isnan(x)]
    return sum(v) / len(v) if v else float('nan')

def num(s):
    try:
        return float(s)
    except ValueError:
        return float('nan')

rows = []
for h in hiddens:
    ev = f'{out}/H{h}/evaluation'
    rec = {r['predictor']: num(r['mse']) for r in csv.DictReader(open(f'{ev}/reconstruction.tsv'), delimiter='\t')}
    pca_h = rec[f'pca ({h} components)']
    # The decoder-width row: "pca (K components: ...)", K = 2H capped at the number of tracks.
    wide = [(int(re.match(r'pca \((\d+) ', k).group(1)), v) for k, v in rec.items()
            if k.startswith('pca (') and k != f'pca ({h} components)']
    wide_k, wide_mse = wide[0] if wide else (h, pca_h)
    ap = {}
    for r in csv.DictReader(open(f'{ev}/metrics.tsv'), delimiter='\t'):
        if r['fold'] in ('mean', 'heldout_pooled'):
            ap.setdefault((r['method'], r['fold']), []).append(num(r['AP']))
    g = lambda m, f: mean(ap.get((m, f), []))
    # The report's paired summary: pairs won–lost against PCA-H and the control (all folds; held out).
    won = {}
    for line in open(f'{ev}/report.md'):
        cells = [c.strip() for c in line.strip().strip('|').split('|')]
        if len(cells) == 5 and cells[0] in ('pca', 'random-weights') and ' of ' in cells[1]:
            won[cells[0]] = (cells[1].split(' of ')[0], cells[4].split(' of ')[0])
    rows.append([h, wide_k, rec['epi-lstm'], pca_h, wide_mse, rec['per-track mean'],
                 g('epi-lstm', 'mean'), g('pca', 'mean'), g('random-weights', 'mean'), g('raw-signal', 'mean'),
                 g('epi-lstm', 'heldout_pooled'), g('pca', 'heldout_pooled'), g('random-weights', 'heldout_pooled'),
                 len(ap.get(('epi-lstm', 'mean'), [])),
                 *won.get('pca', ('NA', 'NA')), *won.get('random-weights', ('NA', 'NA'))])
head = ['H', 'decoder_width', 'mse_epi_lstm', 'mse_pca_H', 'mse_pca_decoder_width', 'mse_track_mean',
        'ap_epi_lstm', 'ap_pca_H', 'ap_random', 'ap_raw', 'heldout_ap_epi_lstm', 'heldout_ap_pca_H',
        'heldout_ap_random', 'pairs', 'won_lost_vs_pca', 'heldout_won_lost_vs_pca', 'won_lost_vs_random',
        'heldout_won_lost_vs_random']
with open(f'{out}/compression.tsv', 'w') as f:
    f.write('\t'.join(head) + '\n')
    for r in rows:
        f.write('\t'.join('%.6f' % x if isinstance(x, float) else str(x) for x in r) + '\n')
with open(f'{out}/compression.md', 'w') as f:
    f.write('| H | decoder receives | chr7 MSE epi-lstm | PCA-H | PCA of the decoder width | per-track mean | '
            'mean AP epi-lstm | PCA-H | random | raw (25) | chr7 pooled AP epi-lstm | PCA-H | random | '
            'pairs won–lost vs PCA-H (all folds; chr7) | vs random (all folds; chr7) |\n'
            '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n')
    for r in rows:
        f.write('| %d | %d | %.4f | %.4f | %.4f | %.4f | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %s; %s | %s; %s |\n'
                % (*r[:13], *r[14:18]))
print(open(f'{out}/compression.md').read())
PY

gnuplot <<EOF
set terminal pngcairo size 1100,460 font ",10"
set output "$out/compression.png"
set datafile separator "\t"
set key autotitle columnhead
set multiplot layout 1,2
set logscale x 2
set xrange [1.8:18]
set xtics ("2" 2, "4" 4, "8" 8, "16" 16)
set xlabel "H (representation width)"
set ylabel "held-out chr7 MSE"
set title "Reconstruction of a chromosome never seen in training"
set key top right
plot "$out/compression.tsv" using 1:3 with linespoints lw 2 pt 7 title "epi-lstm (decoder gets h and c)", \
     "" using 1:4 with linespoints lw 2 pt 5 title "PCA, H components", \
     "" using 1:5 with linespoints lw 2 pt 9 dt 2 title "PCA, 2H components (capped at 25)"
set ylabel "mean AP over task x cell-type pairs"
set title "Downstream classification (XGBoost, chromosome folds)"
set yrange [0.3:0.52]
set key below maxcols 3 font ",9"
plot "$out/compression.tsv" using 1:7 with linespoints lw 2 pt 7 title "epi-lstm, all folds", \
     "" using 1:8 with linespoints lw 2 pt 5 title "PCA-H, all folds", \
     "" using 1:9 with linespoints lw 2 pt 3 title "random weights, all folds", \
     "" using 1:11 with linespoints lw 2 pt 7 dt 2 title "epi-lstm, chr7 pooled", \
     "" using 1:12 with linespoints lw 2 pt 5 dt 2 title "PCA-H, chr7 pooled"
unset multiplot
EOF
echo "==> done in $((SECONDS - t0)) s: $out/compression.tsv, $out/compression.md, $out/compression.png"
