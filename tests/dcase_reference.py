"""Test oracle: a deliberately literal transcription of the official DCASE 2023/2024 SELD scoring definitions.

Everything here follows the official baseline scoring code step by step, in its data layouts (dicts of
frames, blocks, classes and tracks), with its per-block / per-frame / per-class loops and its running
accumulators, so that the optimised implementation in ``seld.metrics.dcase`` can be checked against it.
It is used only by the tests and shares no code with the implementation. Errors are whatever Python raises
(as in the official code): the tests only feed it files the official code accepts.
"""

from __future__ import annotations

import os

import numpy as np
from scipy import stats
from scipy.optimize import linear_sum_assignment

EPS = np.finfo(float).eps


# -------------------------------------------------------------------------------------- file reading
def load_csv_2024(path, cm2m=False):
    """The 2024 reader: 4/5/6/7 fields, others only create the frame; last line 7 fields -> polar."""
    out = {}
    words = []
    with open(path) as fid:
        for line in fid:
            words = line.strip().split(",")
            frame = int(words[0])
            if frame not in out:
                out[frame] = []
            if len(words) == 4:
                out[frame].append([int(words[1]), 0, float(words[2]), float(words[3])])
            if len(words) == 5:
                out[frame].append([int(words[1]), int(words[2]), float(words[3]), float(words[4])])
            if len(words) == 6:
                dist = float(words[5]) / 100 if cm2m else float(words[5])
                out[frame].append([int(words[1]), int(words[2]), float(words[3]), float(words[4]), dist])
            elif len(words) == 7:
                dist = float(words[6]) / 100 if cm2m else float(words[6])
                out[frame].append(
                    [int(words[1]), int(words[2]), float(words[3]), float(words[4]), float(words[5]), dist]
                )
    if len(words) == 7:
        out = cartesian_to_polar_2024(out)
    return out


def load_csv_2023(path):
    """The 2023 reader: 5 and 6 fields -> [c, s, azi, ele]; 7 fields -> [c, s, x, y, z]; no conversion."""
    out = {}
    with open(path) as fid:
        for line in fid:
            words = line.strip().split(",")
            frame = int(words[0])
            if frame not in out:
                out[frame] = []
            if len(words) == 5:
                out[frame].append([int(words[1]), int(words[2]), float(words[3]), float(words[4])])
            if len(words) == 6:
                out[frame].append([int(words[1]), int(words[2]), float(words[3]), float(words[4])])
            elif len(words) == 7:
                out[frame].append([int(words[1]), int(words[2]), float(words[3]), float(words[4]), float(words[5])])
    return out


def polar_to_cartesian_2024(in_dict):
    out = {}
    for frame in in_dict:
        out[frame] = []
        for val in in_dict[frame]:
            ele_rad = val[3] * np.pi / 180.0
            azi_rad = val[2] * np.pi / 180.0
            cos_ele = np.cos(ele_rad)
            x = np.cos(azi_rad) * cos_ele
            y = np.sin(azi_rad) * cos_ele
            z = np.sin(ele_rad)
            out[frame].append(val[0:2] + [x, y, z] + val[4:])
    return out


def cartesian_to_polar_2024(in_dict):
    out = {}
    for frame in in_dict:
        out[frame] = []
        for val in in_dict[frame]:
            x, y, z = val[2], val[3], val[4]
            azimuth = np.arctan2(y, x) * 180 / np.pi
            elevation = np.arctan2(z, np.sqrt(x**2 + y**2)) * 180 / np.pi
            out[frame].append(val[0:2] + [azimuth, elevation] + val[5:])
    return out


def cartesian_to_polar_2023(in_dict):
    out = {}
    for frame in in_dict:
        out[frame] = []
        for val in in_dict[frame]:
            x, y, z = val[2], val[3], val[4]
            azimuth = np.arctan2(y, x) * 180 / np.pi
            elevation = np.arctan2(z, np.sqrt(x**2 + y**2)) * 180 / np.pi
            out[frame].append([val[0], val[1], azimuth, elevation])
    return out


# ------------------------------------------------------------------------------------------ organising
def organize_labels(pred_dict, max_frames):
    out = {f: {} for f in range(max_frames)}
    for frame in range(0, max_frames):
        if frame not in pred_dict:
            continue
        for [cls, track, *loc] in pred_dict[frame]:
            if cls not in out[frame]:
                out[frame][cls] = {}
            if track not in out[frame][cls]:
                out[frame][cls][track] = loc
            else:
                smallest = np.min(np.array(list(out[frame][cls].keys())))
                new_track = smallest - 1 if smallest < 0 else -1
                out[frame][cls][new_track] = loc
    return out


def segment_labels(pred_dict, max_frames, frames_per_block=10):
    n_blocks = int(np.ceil(max_frames / float(frames_per_block)))
    out = {b: {} for b in range(n_blocks)}
    for start in range(0, max_frames, frames_per_block):
        block = start // frames_per_block
        loc = {}
        for frame in range(start, start + frames_per_block):
            if frame not in pred_dict:
                continue
            for value in pred_dict[frame]:
                if value[0] not in loc:
                    loc[value[0]] = {}
                offset = frame - start
                if offset not in loc[value[0]]:
                    loc[value[0]][offset] = []
                loc[value[0]][offset].append(value[1:])
        for cls in loc:
            if cls not in out[block]:
                out[block][cls] = []
            keys = [k for k in loc[cls]]
            values = [loc[cls][k] for k in loc[cls]]
            out[block][cls].append([keys, values])
    return out


# ----------------------------------------------------------------------------------------------- angles
def angle_cartesian(x1, y1, z1, x2, y2, z2):
    n1 = np.sqrt(x1**2 + y1**2 + z1**2 + 1e-10)
    n2 = np.sqrt(x2**2 + y2**2 + z2**2 + 1e-10)
    x1, y1, z1, x2, y2, z2 = x1 / n1, y1 / n1, z1 / n1, x2 / n2, y2 / n2, z2 / n2
    dot = x1 * x2 + y1 * y2 + z1 * z2
    dot = np.clip(dot, -1, 1)
    return np.arccos(dot) * 180 / np.pi


def angle_spherical_rad(az1, el1, az2, el2):
    value = np.sin(el1) * np.sin(el2) + np.cos(el1) * np.cos(el2) * np.cos(np.abs(az1 - az2))
    value = np.clip(value, -1, 1)
    return np.arccos(value) * 180 / np.pi


def hungarian(gt_list, pred_list, cartesian):
    """Pairwise cost over all (gt, pred) pairs, then the Hungarian assignment: (costs, rows, cols)."""
    n_gt, n_pred = gt_list.shape[0], pred_list.shape[0]
    pairs = np.array([[g, p] for p in range(n_pred) for g in range(n_gt)])
    cost = np.zeros((n_gt, n_pred))
    if n_gt and n_pred:
        if cartesian:
            a = [gt_list[pairs[:, 0], i] for i in range(3)]
            b = [pred_list[pairs[:, 1], i] for i in range(3)]
            cost[pairs[:, 0], pairs[:, 1]] = angle_cartesian(*a, *b)
        else:
            cost[pairs[:, 0], pairs[:, 1]] = angle_spherical_rad(
                gt_list[pairs[:, 0], 0], gt_list[pairs[:, 0], 1], pred_list[pairs[:, 1], 0], pred_list[pairs[:, 1], 1]
            )
    rows, cols = linear_sum_assignment(cost)
    return cost[rows, cols], rows, cols


# ------------------------------------------------------------------------------------ 2024 frame metric
class FrameMetric2024:
    def __init__(self, nb_classes=13, average="macro", doa_threshold=20, dist_threshold=np.inf, reldist_threshold=1.0):
        self.nb_classes = nb_classes
        self.average = average
        self.ang_t, self.dist_t, self.reldist_t = doa_threshold, dist_threshold, reldist_threshold
        z = lambda: np.zeros(nb_classes)  # noqa: E731
        self.TP, self.FP, self.FP_spatial, self.FN, self.Nref = z(), z(), z(), z(), z()
        self.total_AngE, self.total_DistE, self.total_RelDistE = z(), z(), z()
        self.DE_TP, self.DE_FP, self.DE_FN = z(), z(), z()
        self.S = self.D = self.I = 0

    def update(self, pred, gt):
        for frame in range(len(gt.keys())):
            loc_FN, loc_FP = 0, 0
            for c in range(self.nb_classes):
                nb_gt = len(gt[frame][c]) if c in gt[frame] else None
                nb_pred = len(pred[frame][c]) if c in pred[frame] else None
                if nb_gt is not None:
                    self.Nref[c] += nb_gt
                if c in gt[frame] and c in pred[frame]:
                    gt_doas = np.array(list(gt[frame][c].values()))
                    pred_doas = np.array(list(pred[frame][c].values()))
                    assert gt_doas.shape[-1] == 4 and pred_doas.shape[-1] == 4
                    gt_dist, gt_doas = gt_doas[:, 3], gt_doas[:, :3]
                    pred_dist, pred_doas = pred_doas[:, 3], pred_doas[:, :3]
                    doa_err, rows, cols = hungarian(gt_doas, pred_doas, cartesian=True)
                    dist_err = np.abs(gt_dist[rows] - pred_dist[cols])
                    rel_dist_err = dist_err / (gt_dist[rows] + EPS)
                    Pc, Rc = len(pred_doas), len(gt_doas)
                    FNc = max(0, Rc - Pc)
                    FPcinf = max(0, Pc - Rc)
                    Kc = min(Pc, Rc)
                    Lc = np.sum((doa_err > self.ang_t) + (dist_err > self.dist_t) + (rel_dist_err > self.reldist_t))
                    self.total_AngE[c] += doa_err.sum()
                    self.total_DistE[c] += dist_err.sum()
                    self.total_RelDistE[c] += rel_dist_err.sum()
                    self.TP[c] += Kc - Lc
                    self.DE_TP[c] += Kc
                    self.FP[c] += FPcinf
                    self.DE_FP[c] += FPcinf
                    self.FP_spatial[c] += Lc
                    loc_FP += FPcinf + Lc
                    self.FN[c] += FNc
                    self.DE_FN[c] += FNc
                    loc_FN += FNc
                elif c in gt[frame] and c not in pred[frame]:
                    loc_FN += nb_gt
                    self.FN[c] += nb_gt
                    self.DE_FN[c] += nb_gt
                elif c not in gt[frame] and c in pred[frame]:
                    loc_FP += nb_pred
                    self.FP[c] += nb_pred
                    self.DE_FP[c] += nb_pred
            self.S += np.minimum(loc_FP, loc_FN)
            self.D += np.maximum(0, loc_FN - loc_FP)
            self.I += np.maximum(0, loc_FP - loc_FN)

    def compute(self):
        ER = (self.S + self.D + self.I) / (self.Nref.sum() + EPS)
        classwise = []
        if self.average == "micro":
            F = self.TP.sum() / (EPS + self.TP.sum() + self.FP_spatial.sum() + 0.5 * (self.FP.sum() + self.FN.sum()))
            de_tp = self.DE_TP.sum()
            AngE = self.total_AngE.sum() / float(de_tp + EPS) if de_tp else np.nan
            DistE = self.total_DistE.sum() / float(de_tp + EPS) if de_tp else np.nan
            RelDistE = self.total_RelDistE.sum() / float(de_tp + EPS) if de_tp else np.nan
            LR = de_tp / (EPS + de_tp + self.DE_FN.sum())
            SELD = np.nanmean([1 - F, AngE / 180, RelDistE], 0)
        else:
            F = self.TP / (EPS + self.TP + self.FP_spatial + 0.5 * (self.FP + self.FN))
            AngE = self.total_AngE / (self.DE_TP + EPS)
            AngE[self.DE_TP == 0] = np.nan
            DistE = self.total_DistE / (self.DE_TP + EPS)
            DistE[self.DE_TP == 0] = np.nan
            RelDistE = self.total_RelDistE / (self.DE_TP + EPS)
            RelDistE[self.DE_TP == 0] = np.nan
            LR = self.DE_TP / (EPS + self.DE_TP + self.DE_FN)
            SELD = np.nanmean([1 - F, AngE / 180, RelDistE], 0)
            classwise = np.array([np.repeat(ER, self.nb_classes), F, AngE, DistE, RelDistE, LR, SELD])
            F, AngE, LR, SELD = F.mean(), np.nanmean(AngE), LR.mean(), SELD.mean()
            DistE, RelDistE = np.nanmean(DistE), np.nanmean(RelDistE)
        return ER, F, AngE, DistE, RelDistE, LR, SELD, classwise


# ---------------------------------------------------------------------------------- 2023 segment metric
class SegmentMetric2023:
    def __init__(self, nb_classes=13, average="macro", doa_threshold=20):
        self.nb_classes = nb_classes
        self.average = average
        self.spatial_t = doa_threshold
        z = lambda: np.zeros(nb_classes)  # noqa: E731
        self.TP, self.FP, self.FP_spatial, self.FN, self.Nref = z(), z(), z(), z(), z()
        self.total_DE, self.DE_TP, self.DE_FP, self.DE_FN = z(), z(), z(), z()
        self.S = self.D = self.I = 0

    def update(self, pred, gt):
        for block in range(len(gt.keys())):
            loc_FN, loc_FP = 0, 0
            for c in range(self.nb_classes):
                nb_gt = max([len(v) for v in gt[block][c][0][1]]) if c in gt[block] else None
                nb_pred = max([len(v) for v in pred[block][c][0][1]]) if c in pred[block] else None
                if nb_gt is not None:
                    self.Nref[c] += nb_gt
                if c in gt[block] and c in pred[block]:
                    matched_dist = {}
                    matched_cnt = {}
                    gt_keys = gt[block][c][0][0]
                    pred_keys = pred[block][c][0][0]
                    for gt_pos, gt_key in enumerate(gt_keys):
                        if gt_key in pred_keys:
                            gt_arr = np.array(gt[block][c][0][1][gt_pos])
                            gt_ids = np.arange(len(gt_arr[:, -1]))
                            gt_doas = gt_arr[:, 1:]
                            pred_pos = pred_keys.index(gt_key)
                            pred_arr = np.array(pred[block][c][0][1][pred_pos])
                            pred_doas = pred_arr[:, 1:]
                            assert gt_doas.shape[-1] == 2
                            gt_doas = gt_doas * np.pi / 180.0
                            pred_doas = pred_doas * np.pi / 180.0
                            dists, rows, cols = hungarian(gt_doas, pred_doas, cartesian=False)
                            for i, d in enumerate(dists):
                                track = gt_ids[rows[i]]
                                if track not in matched_dist:
                                    matched_dist[track], matched_cnt[track] = [], []
                                matched_dist[track].append(d)
                                matched_cnt[track].append(pred_pos)
                    if len(matched_dist) == 0:
                        loc_FN += nb_pred
                        self.FN[c] += nb_pred
                        self.DE_FN[c] += nb_pred
                    else:
                        for track in matched_dist:
                            avg = sum(matched_dist[track]) / len(matched_cnt[track])
                            self.total_DE[c] += avg
                            self.DE_TP[c] += 1
                            if avg <= self.spatial_t:
                                self.TP[c] += 1
                            else:
                                loc_FP += 1
                                self.FP_spatial[c] += 1
                        if nb_pred > nb_gt:
                            loc_FP += nb_pred - nb_gt
                            self.FP[c] += nb_pred - nb_gt
                            self.DE_FP[c] += nb_pred - nb_gt
                        elif nb_pred < nb_gt:
                            loc_FN += nb_gt - nb_pred
                            self.FN[c] += nb_gt - nb_pred
                            self.DE_FN[c] += nb_gt - nb_pred
                elif c in gt[block] and c not in pred[block]:
                    loc_FN += nb_gt
                    self.FN[c] += nb_gt
                    self.DE_FN[c] += nb_gt
                elif c not in gt[block] and c in pred[block]:
                    loc_FP += nb_pred
                    self.FP[c] += nb_pred
                    self.DE_FP[c] += nb_pred
            self.S += np.minimum(loc_FP, loc_FN)
            self.D += np.maximum(0, loc_FN - loc_FP)
            self.I += np.maximum(0, loc_FP - loc_FN)

    def compute(self):
        ER = (self.S + self.D + self.I) / (self.Nref.sum() + EPS)
        classwise = []
        if self.average == "micro":
            F = self.TP.sum() / (EPS + self.TP.sum() + self.FP_spatial.sum() + 0.5 * (self.FP.sum() + self.FN.sum()))
            LE = self.total_DE.sum() / float(self.DE_TP.sum() + EPS) if self.DE_TP.sum() else 180
            LR = self.DE_TP.sum() / (EPS + self.DE_TP.sum() + self.DE_FN.sum())
            SELD = np.mean([ER, 1 - F, LE / 180, 1 - LR], 0)
        else:
            F = self.TP / (EPS + self.TP + self.FP_spatial + 0.5 * (self.FP + self.FN))
            LE = self.total_DE / (self.DE_TP + EPS)
            LE[self.DE_TP == 0] = 180.0
            LR = self.DE_TP / (EPS + self.DE_TP + self.DE_FN)
            SELD = np.mean([np.repeat(ER, self.nb_classes), 1 - F, LE / 180, 1 - LR], 0)
            classwise = np.array([np.repeat(ER, self.nb_classes), F, LE, LR, SELD])
            F, LE, LR, SELD = F.mean(), LE.mean(), LR.mean(), SELD.mean()
        return ER, F, LE, LR, SELD, classwise


# ------------------------------------------------------------------------------------------- the driver
def jackknife_estimation(global_value, partial_estimates, significance_level=0.05):
    mean_jack = np.mean(partial_estimates)
    n = len(partial_estimates)
    bias = (n - 1) * (mean_jack - global_value)
    std_err = np.sqrt((n - 1) * np.mean((partial_estimates - mean_jack) * (partial_estimates - mean_jack), axis=0))
    estimate = global_value - bias
    t_value = stats.t.ppf(1 - significance_level / 2, n - 1)
    return estimate + t_value * np.array((-std_err, std_err))


def official_results(pred_dir, ref_dir, edition="dcase2024", average="macro", jackknife=False, nb_classes=13):
    """The official scorer: reference folder of split folders, prediction folder; returns its tuples.

    Without jackknife: ``(ER, F, AngE, DistE, RelDistE, LR, SELD, classwise)`` (2024) or
    ``(ER, F, LE, LR, SELD, classwise)`` (2023). With jackknife every entry is ``[value, interval]``.
    """
    year2024 = edition == "dcase2024"
    ref_labels = {}
    for split in os.listdir(ref_dir):
        for ref_file in os.listdir(os.path.join(ref_dir, split)):
            path = os.path.join(ref_dir, split, ref_file)
            gt = polar_to_cartesian_2024(load_csv_2024(path, cm2m=True)) if year2024 else load_csv_2023(path)
            n_frames = max(list(gt.keys()))
            if year2024:
                ref_labels[ref_file] = [organize_labels(gt, n_frames), n_frames]
            else:
                ref_labels[ref_file] = [segment_labels(gt, n_frames), n_frames]

    def new_metric():
        return FrameMetric2024(nb_classes, average) if year2024 else SegmentMetric2023(nb_classes, average)

    pred_files = os.listdir(pred_dir)
    metric = new_metric()
    pred_labels_all = {}
    for pred_file in pred_files:
        path = os.path.join(pred_dir, pred_file)
        if year2024:
            pred = polar_to_cartesian_2024(load_csv_2024(path))
            pred_labels = organize_labels(pred, ref_labels[pred_file][1])
        else:
            pred = cartesian_to_polar_2023(load_csv_2023(path))
            pred_labels = segment_labels(pred, ref_labels[pred_file][1])
        metric.update(pred_labels, ref_labels[pred_file][0])
        pred_labels_all[pred_file] = pred_labels
    result = metric.compute()
    if not jackknife:
        return result

    *head, classwise = result
    global_values = list(head)
    if len(classwise):
        global_values.extend(classwise.reshape(-1).tolist())
    partials = []
    for left_out in pred_files:
        metric = new_metric()
        for pred_file in pred_files:
            if pred_file != left_out:
                metric.update(pred_labels_all[pred_file], ref_labels[pred_file][0])
        *p_head, p_classwise = metric.compute()
        p = list(p_head)
        if len(p_classwise):
            p.extend(p_classwise.reshape(-1).tolist())
        partials.append(p)
    partials = np.array(partials)
    intervals = [jackknife_estimation(global_values[i], partials[:, i]) for i in range(len(global_values))]
    n_head = len(head)
    out = [[head[i], intervals[i]] for i in range(n_head)]
    out.append(
        [classwise, np.array(intervals)[n_head:].reshape(n_head, nb_classes, 2) if len(classwise) else []]
    )
    return out
