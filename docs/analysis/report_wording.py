"""Why exact-report Recall@10 stops short of 0.40: re-rankings of the neighbours' reports on
fold 9 (queries) against folds 1-8 (library), bounds that know the query's cart, statements or
heart axis, and how well the recording cart can be told from the signal. Reproduces the
figures in the README's evaluation section.

    target/release/ecgmatch eval --ptbxl ~/.cache/ptbxl --bundle static/bundle/ptbxl-v6.ecgb \
        --knn-k 3200 --knn-temperature 0.1 --whitening-power 0.75 --measure-weights 0.35,0.5 \
        --probe-weight 1 --embeddings-out .cache/dump
    python3 docs/analysis/report_wording.py .cache/dump ~/.cache/ptbxl

Needs numpy only. Report matching follows `retrieval::reports::normalise_report`.
"""
import ast
import csv
import sys
from collections import Counter, defaultdict

import numpy as np

DUMP, PTBXL = sys.argv[1], sys.argv[2]
K, TAU = 3200, 0.1


def normalise(report):
    text = report.lower()
    text = text[: text.find("edit:")] if "edit:" in text else text
    words = text.split()
    for j, w in enumerate(words):
        if w.startswith("unbestätigt"):
            words = words[:j]
            if words and all(c.isdigit() or c == "." for c in words[-1]):
                words.pop()
            break
    text = " ".join(words).rstrip(" .,;")
    return " ".join("".join(c if c.isalnum() else " " for c in text).split())


ids = [int(x) for x in open(f"{DUMP}/ecg_ids.txt").read().split()]
X = np.load(f"{DUMP}/retrieval.npy").astype(np.float64)
M = np.load(f"{DUMP}/measures.npy").astype(np.float64)
rows = {int(float(r["ecg_id"])): r for r in csv.DictReader(open(f"{PTBXL}/ptbxl_database.csv"))}
codes = sorted(r[""] for r in csv.DictReader(open(f"{PTBXL}/scp_statements.csv")))
Y = np.zeros((len(ids), len(codes)))
for n, i in enumerate(ids):
    for c in ast.literal_eval(rows[i]["scp_codes"]):
        Y[n, codes.index(c)] = 1
fold = np.array([int(rows[i]["strat_fold"]) for i in ids])
reports = [normalise(rows[i]["report"]) for i in ids]
device = [rows[i]["device"] for i in ids]
at6 = np.array([d.startswith("AT-6 ") or d == "AT-6 C" for d in device])

lib, qs = np.where(fold <= 8)[0], np.where(fold == 9)[0]
index = {}
lib_report = np.array([index.setdefault(reports[i], len(index)) for i in lib])
R = len(index)
freq = np.bincount(lib_report, minlength=R).astype(float)
truth = np.array([index.get(reports[i], -1) for i in qs])

sims = X[qs] @ X[lib].T
top = np.argsort(-sims, 1)[:, :K]
top_sim = np.take_along_axis(sims, top, 1)
w = np.exp((top_sim - top_sim[:, :1]) / TAU)
w /= w.sum(1, keepdims=True)
vote = np.zeros((len(qs), R))
for q in range(len(qs)):
    np.add.at(vote[q], lib_report[top[q]], w[q])
p = np.einsum("qk,qkc->qc", w, Y[lib][top])


def recall(scores, name):
    ranked = np.argsort(-scores, 1)[:, :10]
    r = [np.mean([t >= 0 and t in ranked[q, :c] for q, t in enumerate(truth)]) for c in (1, 5, 10)]
    print(f"{name:<55} R@1/5/10 {r[0]:.3f} {r[1]:.3f} {r[2]:.3f}")


print(f"fold 9: {len(qs)} queries, {R} distinct library reports, ceiling {(truth >= 0).mean():.3f}")
nearest = np.full((len(qs), R), -1e9)
for q in range(len(qs)):
    for j in range(K - 1, -1, -1):
        nearest[q, lib_report[top[q, j]]] = top_sim[q, j]
recall(nearest, "nearest case first (the page)")
recall(vote, "the neighbours' vote")
# What each order shows for abnormal ECGs: the vote's gains come from the normal ones.
statements = {r[""]: r for r in csv.DictReader(open(f"{PTBXL}/scp_statements.csv"))}


def superclasses(i):
    return frozenset(statements[c]["diagnostic_class"] for c in ast.literal_eval(rows[i]["scp_codes"])
                     if statements.get(c, {}).get("diagnostic") == "1.0" and statements[c]["diagnostic_class"])


classes = [superclasses(i) for i in ids]
shown = []  # per query: each report's nearest case
for q in range(len(qs)):
    first = {}
    for j in range(K):
        first.setdefault(lib_report[top[q, j]], lib[top[q, j]])
    shown.append(first)
normal = frozenset({"NORM"})
abnormal = np.array([classes[i] != normal for i in qs])
for name, scores in (("nearest case first (the page)", nearest), ("the neighbours' vote", vote)):
    listed = np.argsort(-scores, 1)[:, :10]
    cases = [[shown[q][r] for r in listed[q]] for q in range(len(qs))]
    first_normal = np.array([classes[c[0]] == normal for c in cases])
    same = np.array([[classes[c] == classes[qs[q]] for c in cases[q]] for q in range(len(qs))])
    normals = np.array([[classes[c] == normal for c in row] for row in cases])
    print(f"{name:<30} abnormal queries: first case normal {first_normal[abnormal].mean():.3f}, "
          f"normal cases {normals[abnormal].mean():.3f} of ten, "
          f"superclass P@1 {same[abnormal, 0].mean():.3f} P@10 {same[abnormal].mean():.3f}; "
          f"normal queries: P@1 {same[~abnormal, 0].mean():.3f} P@10 {same[~abnormal].mean():.3f}")

for beta in (0.1, 0.25, 0.5):
    recall(np.log(vote + 1e-9) - beta * np.log(freq), f"vote / frequency^{beta}")

# Each report's statements (its most common set) scored under the kNN vote's probabilities.
sets = defaultdict(Counter)
for j, i in enumerate(lib):
    sets[lib_report[j]][tuple(np.where(Y[i] > 0)[0])] += 1
report_codes = np.zeros((R, Y.shape[1]))
for r, c in sets.items():
    report_codes[r, list(c.most_common(1)[0][0])] = 1
pc = np.clip(p, 1e-3, 1 - 1e-3)
likelihood = np.log(pc) @ report_codes.T + np.log(1 - pc) @ (1 - report_codes).T
recall(likelihood, "statements' likelihood alone")
for a in (0.5, 1.0):
    recall(likelihood + a * np.log(freq), f"statements' likelihood + {a} log frequency")
for g in (0.1, 0.3, 1.0):
    recall(np.log(vote + 1e-6) + g * likelihood, f"log vote + {g} statements' likelihood")

# The vote over statement sets, each set's share then spread over the reports written for it.
set_keys = {}
lib_set = np.array([set_keys.setdefault(tuple(np.where(Y[i] > 0)[0]), len(set_keys)) for i in lib])
per_set = np.zeros((len(set_keys), R))
np.add.at(per_set, (lib_set, lib_report), 1)
per_set /= per_set.sum(1, keepdims=True)
set_vote = np.zeros((len(qs), len(set_keys)))
for q in range(len(qs)):
    np.add.at(set_vote[q], lib_set[top[q]], w[q])
recall(set_vote @ per_set, "statement sets' vote, spread over their reports")
recall(0.3 * set_vote @ per_set + 0.7 * vote, "0.3 x that + 0.7 x the vote")
for tau in (0.05, 0.2):  # the vote's softmax temperature, chosen for AUC, tried for reports
    wt = np.exp((top_sim - top_sim[:, :1]) / tau)
    wt /= wt.sum(1, keepdims=True)
    vt = np.zeros((len(qs), R))
    for q in range(len(qs)):
        np.add.at(vt[q], lib_report[top[q]], wt[q])
    recall(vt, f"the vote at temperature {tau}")

# A ridge classifier over the reports seen three times or more.
train = fold <= 8
mean, std = np.nanmean(M[train], 0), np.nanstd(M[train], 0) + 1e-6
features = np.hstack([X, np.nan_to_num((M - mean) / std) / np.sqrt(M.shape[1]), np.ones((len(X), 1))])
kept = np.where(freq >= 3)[0]
column = {r: j for j, r in enumerate(kept)}
T = np.zeros((len(lib), len(kept)))
for j, r in enumerate(lib_report):
    if r in column:
        T[j, column[r]] = 1
W = np.linalg.solve(features[lib].T @ features[lib] + 10 * np.eye(features.shape[1]), features[lib].T @ T)
classifier = np.full((len(qs), R), -1.0)
classifier[:, kept] = features[qs] @ W
recall(classifier, f"ridge classifier over {len(kept)} reports")
for g in (0.5, 1, 2):
    recall(vote + g * np.clip(classifier, 0, None), f"vote + {g} x classifier")

# The nearest-first list interleaved with the vote ('n' one from the first, 's' from the vote).
def interleaved(pattern):
    first, by_vote = np.argsort(-nearest, 1)[:, :20], np.argsort(-vote, 1)[:, :20]
    hits, same, normals = [], [], []
    for q in range(len(qs)):
        sources, listed = {"n": list(first[q]), "s": list(by_vote[q])}, []
        for turn in pattern * 20:
            source = sources[turn]
            while source and source[0] in listed:
                source.pop(0)
            if source:
                listed.append(source.pop(0))
        hits.append(truth[q] >= 0 and truth[q] in listed[:10])
        if abnormal[q]:
            cases = [shown[q][r] for r in listed[:10]]
            same.append(np.mean([classes[c] == classes[qs[q]] for c in cases]))
            normals.append(np.mean([classes[c] == normal for c in cases]))
    print(f"{'interleaved ' + pattern:<55} R@10 {np.mean(hits):.3f}; abnormal queries: superclass "
          f"P@10 {np.mean(same):.3f}, normal cases {np.mean(normals):.3f} of ten")


for pattern in ("ns", "sn", "nss", "nsss"):
    interleaved(pattern)


# The heart axis the German reports name (Lagetyp normal, Linkstyp, ...: PTB-XL's heart_axis),
# predicted by ridge and appended to the space: reports and kNN AUC.
def auc(score, positive):
    order = np.argsort(score)
    rank = np.empty(len(score))
    rank[order] = np.arange(1, len(score) + 1)
    n1 = positive.sum()
    return (rank[positive > 0].sum() - n1 * (n1 + 1) / 2) / (n1 * (len(score) - n1))


axes = ["MID", "LAD", "ALAD", "RAD", "ARAD", "AXL", "AXR"]
A = np.array([[rows[i]["heart_axis"] == a for a in axes] for i in ids], float)
Wa = np.linalg.solve(features[lib].T @ features[lib] + 10 * np.eye(features.shape[1]), features[lib].T @ A[lib])
Pa = features @ Wa
Pa = (Pa - Pa[lib].mean(0)) / Pa[lib].std(0)
for g in (0.0, 0.1, 0.2, 0.35, 0.5):
    Z = np.hstack([X, g * Pa / np.sqrt(len(axes))])
    Z /= np.linalg.norm(Z, axis=1, keepdims=True)
    zs = Z[qs] @ Z[lib].T
    zt = np.argsort(-zs, 1)[:, :K]
    zw = np.exp((np.take_along_axis(zs, zt, 1) - zs.max(1, keepdims=True)) / TAU)
    zw /= zw.sum(1, keepdims=True)
    zp = np.einsum("qk,qkc->qc", zw, Y[lib][zt])
    macro = np.mean([auc(zp[:, c], Y[qs, c]) for c in range(Y.shape[1]) if 0 < Y[qs, c].sum() < len(qs)])
    zv = np.zeros((len(qs), R))
    for q in range(len(qs)):
        np.add.at(zv[q], lib_report[zt[q]], zw[q])
    print(f"axis weight {g}: kNN macro AUC (all statements) {macro:.4f}")
    recall(zv, f"vote in the space with the predicted axis, weight {g}")


# Bounds that know something of the query no ECG tells: its cart model, its statements (a
# perfect reader) or its heart axis. As in `ecgmatch eval`, the reports of the neighbours that
# share it come first, by their vote, then the plain vote's for the slots left.
def vote_knowing(same, name):
    kept = np.zeros((len(qs), R))
    for q in range(len(qs)):
        np.add.at(kept[q], lib_report[top[q]], (w * same)[q])
    recall(np.where(kept > 0, 2 + kept, vote), name)


model = np.array([d.split()[0] for d in device])
vote_knowing(model[lib][top] == model[qs][:, None], "bound: vote knowing the query's cart model")
query_set = np.array([set_keys.get(tuple(np.where(Y[i] > 0)[0]), -1) for i in qs])
vote_knowing(lib_set[top] == query_set[:, None], "bound: vote knowing the query's statements")
recall(np.where(query_set[:, None] >= 0, per_set[query_set], 0),
       "bound: reports written most often for the query's statements")
axis = np.array([rows[i]["heart_axis"] for i in ids])
lib_axis, query_axis = axis[lib][top], axis[qs][:, None]
print(f"axis named by the AT-6 carts {np.mean(axis[at6] != ''):.2f}, by the others {np.mean(axis[~at6] != ''):.2f}")
vote_knowing(lib_axis == query_axis, "bound: vote knowing the axis column (empty: not named)")
vote_knowing((lib_axis == query_axis) | (lib_axis == "") | (query_axis == ""),
             "bound: vote knowing the axis where it is named")

# Can the signal tell the AT-6 carts (English reports) from the others?
print(f"AT-6 share {at6.mean():.3f}; ten nearest from the query's cart family "
      f"{(at6[lib][top[:, :10]] == at6[qs][:, None]).mean():.3f} "
      f"(chance {at6.mean() ** 2 + (1 - at6.mean()) ** 2:.3f})")
spectral = []
for i in ids:
    x = np.fromfile(f"{PTBXL}/{rows[i]['filename_lr']}.dat", dtype="<i2").reshape(-1, 12)[:1000].astype(float)
    power = np.abs(np.fft.rfft(x - x.mean(0), axis=0)) ** 2
    bands = np.log(np.array([power[b : b + 20].mean(0) for b in range(1, 501, 20)]) + 1e-3)
    d = np.diff(x, axis=0)
    lead_i, lead_ii, lead_iii, avr, _, avf = x[:, :6].T
    spectral.append(np.concatenate([
        bands.mean(1), bands.std(1),
        [np.log(np.abs(d).mean() + 1e-3), np.log(np.abs(np.diff(d, axis=0)).mean() + 1e-3),
         (d == 0).mean(), (x % 10 == 0).mean(), (x % 5 == 0).mean(), (x % 2 == 0).mean(),
         np.log(np.abs(lead_iii - (lead_ii - lead_i)).mean() + 1e-3),
         np.log(np.abs(avr + (lead_i + lead_ii) / 2).mean() + 1e-3),
         np.log(np.abs(avf - (lead_ii - lead_i / 2)).mean() + 1e-3)],
    ]))
F = np.array(spectral)
F = np.hstack([(F - F[train].mean(0)) / (F[train].std(0) + 1e-9), np.ones((len(F), 1))])
beta = np.zeros(F.shape[1])
for _ in range(25):  # logistic regression by Newton's method, L2 penalty 1
    prob = 1 / (1 + np.exp(-F[train] @ beta))
    grad = F[train].T @ (prob - at6[train]) + beta
    hess = (F[train] * (prob * (1 - prob))[:, None]).T @ F[train] + np.eye(len(beta))
    beta -= np.linalg.solve(hess, grad)
valid = fold == 9
accuracy = (((F[valid] @ beta) > 0) == at6[valid]).mean()
print(f"AT-6 told from the signal on fold 9: {accuracy:.3f} (larger group {max(at6[valid].mean(), 1 - at6[valid].mean()):.3f})")
