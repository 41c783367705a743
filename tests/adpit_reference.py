# ruff: noqa: E501  (the official code's long lines are kept as written, for a line-by-line comparison)
"""Test oracle: a literal transcription of the official DCASE 2024 baseline's Multi-ACCDOA definitions.

The ADPIT labels (per frame: rows sorted by class, one instance -> A0, two -> B0 B1, three or more -> C0 C1
C2), the ADPIT loss (MSELoss_ADPIT: 13 concatenated target triples with their padding, per-candidate MSE,
argmin mask) and the inference (get_multi_accdoa_labels, determine_similar_location and the unification
branches of the test loop), step by step in the official data layouts: a flat output of 3 tracks x 4
values x C classes per frame (index track * 4C + axis * C + class) and dicts of frames. Used only by the
tests; it shares no code with ``seld.formats.multi_accdoa``.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn


# ----------------------------------------------------------------------------------------------- labels
def slots_to_desc(active, xyz):
    """Slot labels -> the official per-frame event lists ``{frame: [[class, source, x, y, z, dist_cm], ...]}``:
    rows in class then slot order (the label row order within a class), unit vectors, distances in cm."""
    desc = {}
    for f in range(active.shape[0]):
        for c in range(active.shape[1]):
            for s in range(active.shape[2]):
                if active[f, c, s]:
                    p = np.asarray(xyz[f, c, s], dtype=np.float64)
                    d = np.sqrt(p[0] ** 2 + p[1] ** 2 + p[2] ** 2)
                    if f not in desc:
                        desc[f] = []
                    desc[f].append([c, s, p[0] / d, p[1] / d, p[2] / d, d * 100.0])
    return desc


def get_adpit_labels_for_file(desc_file, nb_label_frames, nb_classes):
    """The official label matrix [frames, 6, 5 (act, x, y, z, dist in m), classes]."""
    se_label = np.zeros((nb_label_frames, 6, nb_classes))
    x_label = np.zeros((nb_label_frames, 6, nb_classes))
    y_label = np.zeros((nb_label_frames, 6, nb_classes))
    z_label = np.zeros((nb_label_frames, 6, nb_classes))
    dist_label = np.zeros((nb_label_frames, 6, nb_classes))

    def put(frame_ind, slot, event):
        se_label[frame_ind, slot, event[0]] = 1
        x_label[frame_ind, slot, event[0]] = event[2]
        y_label[frame_ind, slot, event[0]] = event[3]
        z_label[frame_ind, slot, event[0]] = event[4]
        dist_label[frame_ind, slot, event[0]] = event[5] / 100.0

    for frame_ind, active_event_list in desc_file.items():
        if frame_ind < nb_label_frames:
            active_event_list.sort(key=lambda x: x[0])  # stable: sort for ov from the same class
            active_event_list_per_class = []
            for i, active_event in enumerate(active_event_list):
                active_event_list_per_class.append(active_event)
                last = i == len(active_event_list) - 1
                if last or active_event[0] != active_event_list[i + 1][0]:
                    if len(active_event_list_per_class) == 1:  # no ov from the same class: a0
                        put(frame_ind, 0, active_event_list_per_class[0])
                    elif len(active_event_list_per_class) == 2:  # ov with 2 sources: b0, b1
                        put(frame_ind, 1, active_event_list_per_class[0])
                        put(frame_ind, 2, active_event_list_per_class[1])
                    else:  # ov with more than 2 sources: c0, c1, c2
                        put(frame_ind, 3, active_event_list_per_class[0])
                        put(frame_ind, 4, active_event_list_per_class[1])
                        put(frame_ind, 5, active_event_list_per_class[2])
                    active_event_list_per_class = []
    return np.stack((se_label, x_label, y_label, z_label, dist_label), axis=2)


# ------------------------------------------------------------------------------------------------- loss
def official_output(accdoa, dist):
    """Model outputs (B, T, 3, 3, C) and (B, T, 3, C) -> the official flat output (B, T, 3 * 4 * C)."""
    b, t, _, _, c = accdoa.shape
    out = torch.zeros(b, t, 3 * 4 * c, dtype=accdoa.dtype)
    for track in range(3):
        for axis in range(3):
            out[:, :, track * 4 * c + axis * c : track * 4 * c + (axis + 1) * c] = accdoa[:, :, track, axis]
        out[:, :, track * 4 * c + 3 * c : track * 4 * c + 4 * c] = dist[:, :, track]
    return out


class MSELossADPIT:
    """MSELoss_ADPIT as written. ``__call__`` returns the loss; ``last_min`` the argmin indices [B, T, C]
    and ``last_targets`` the 13 padded targets [B, T, 12, C] in candidate order."""

    def __init__(self):
        self._each_loss = nn.MSELoss(reduction="none")

    def _each_calc(self, output, target):
        return self._each_loss(output, target).mean(dim=(2))  # class-wise frame-level

    def __call__(self, output, target):
        target_A0 = target[:, :, 0, 0:1, :] * target[:, :, 0, 1:, :]  # A0, no ov from the same class
        target_B0 = target[:, :, 1, 0:1, :] * target[:, :, 1, 1:, :]  # B0, ov with 2 sources from the same class
        target_B1 = target[:, :, 2, 0:1, :] * target[:, :, 2, 1:, :]  # B1
        target_C0 = target[:, :, 3, 0:1, :] * target[:, :, 3, 1:, :]  # C0, ov with 3 sources from the same class
        target_C1 = target[:, :, 4, 0:1, :] * target[:, :, 4, 1:, :]  # C1
        target_C2 = target[:, :, 5, 0:1, :] * target[:, :, 5, 1:, :]  # C2

        target_A0A0A0 = torch.cat((target_A0, target_A0, target_A0), 2)  # 1 permutation of A
        target_B0B0B1 = torch.cat((target_B0, target_B0, target_B1), 2)  # 6 permutations of B
        target_B0B1B0 = torch.cat((target_B0, target_B1, target_B0), 2)
        target_B0B1B1 = torch.cat((target_B0, target_B1, target_B1), 2)
        target_B1B0B0 = torch.cat((target_B1, target_B0, target_B0), 2)
        target_B1B0B1 = torch.cat((target_B1, target_B0, target_B1), 2)
        target_B1B1B0 = torch.cat((target_B1, target_B1, target_B0), 2)
        target_C0C1C2 = torch.cat((target_C0, target_C1, target_C2), 2)  # 6 permutations of C
        target_C0C2C1 = torch.cat((target_C0, target_C2, target_C1), 2)
        target_C1C0C2 = torch.cat((target_C1, target_C0, target_C2), 2)
        target_C1C2C0 = torch.cat((target_C1, target_C2, target_C0), 2)
        target_C2C0C1 = torch.cat((target_C2, target_C0, target_C1), 2)
        target_C2C1C0 = torch.cat((target_C2, target_C1, target_C0), 2)

        output = output.reshape(output.shape[0], output.shape[1], target_A0A0A0.shape[2], target_A0A0A0.shape[3])
        pad4A = target_B0B0B1 + target_C0C1C2
        pad4B = target_A0A0A0 + target_C0C1C2
        pad4C = target_A0A0A0 + target_B0B0B1
        targets = [
            target_A0A0A0 + pad4A,
            target_B0B0B1 + pad4B,
            target_B0B1B0 + pad4B,
            target_B0B1B1 + pad4B,
            target_B1B0B0 + pad4B,
            target_B1B0B1 + pad4B,
            target_B1B1B0 + pad4B,
            target_C0C1C2 + pad4C,
            target_C0C2C1 + pad4C,
            target_C1C0C2 + pad4C,
            target_C1C2C0 + pad4C,
            target_C2C0C1 + pad4C,
            target_C2C1C0 + pad4C,
        ]
        losses = [self._each_calc(output, t) for t in targets]
        loss_min = torch.min(torch.stack(losses, dim=0), dim=0).indices
        loss = 0
        for k in range(13):
            loss = loss + losses[k] * (loss_min == k)
        loss = loss.mean()
        self.last_min = loss_min
        self.last_targets = targets
        return loss


# -------------------------------------------------------------------------------------------- inference
def get_multi_accdoa_labels(accdoa_in, nb_classes):
    """accdoa_in [frames, 3 * 4 * C] (modified in place, as the official code does)."""
    x0, y0, z0 = (
        accdoa_in[:, :nb_classes],
        accdoa_in[:, nb_classes : 2 * nb_classes],
        accdoa_in[:, 2 * nb_classes : 3 * nb_classes],
    )
    dist0 = accdoa_in[:, 3 * nb_classes : 4 * nb_classes]
    dist0[dist0 < 0.0] = 0.0
    sed0 = np.sqrt(x0**2 + y0**2 + z0**2) > 0.5
    doa0 = accdoa_in[:, : 3 * nb_classes]

    x1, y1, z1 = (
        accdoa_in[:, 4 * nb_classes : 5 * nb_classes],
        accdoa_in[:, 5 * nb_classes : 6 * nb_classes],
        accdoa_in[:, 6 * nb_classes : 7 * nb_classes],
    )
    dist1 = accdoa_in[:, 7 * nb_classes : 8 * nb_classes]
    dist1[dist1 < 0.0] = 0.0
    sed1 = np.sqrt(x1**2 + y1**2 + z1**2) > 0.5
    doa1 = accdoa_in[:, 4 * nb_classes : 7 * nb_classes]

    x2, y2, z2 = (
        accdoa_in[:, 8 * nb_classes : 9 * nb_classes],
        accdoa_in[:, 9 * nb_classes : 10 * nb_classes],
        accdoa_in[:, 10 * nb_classes : 11 * nb_classes],
    )
    dist2 = accdoa_in[:, 11 * nb_classes :]
    dist2[dist2 < 0.0] = 0.0
    sed2 = np.sqrt(x2**2 + y2**2 + z2**2) > 0.5
    doa2 = accdoa_in[:, 8 * nb_classes : 11 * nb_classes]
    return sed0, doa0, dist0, sed1, doa1, dist1, sed2, doa2, dist2  # fmt: skip


def distance_between_cartesian_coordinates(x1, y1, z1, x2, y2, z2):
    N1 = np.sqrt(x1**2 + y1**2 + z1**2 + 1e-10)
    N2 = np.sqrt(x2**2 + y2**2 + z2**2 + 1e-10)
    x1, y1, z1, x2, y2, z2 = x1 / N1, y1 / N1, z1 / N1, x2 / N2, y2 / N2, z2 / N2
    dist = x1 * x2 + y1 * y2 + z1 * z2
    dist = np.clip(dist, -1, 1)
    dist = np.arccos(dist) * 180 / np.pi
    return dist


def determine_similar_location(sed_pred0, sed_pred1, doa_pred0, doa_pred1, class_cnt, thresh_unify, nb_classes):
    if (sed_pred0 == 1) and (sed_pred1 == 1):
        if (
            distance_between_cartesian_coordinates(
                doa_pred0[class_cnt],
                doa_pred0[class_cnt + 1 * nb_classes],
                doa_pred0[class_cnt + 2 * nb_classes],
                doa_pred1[class_cnt],
                doa_pred1[class_cnt + 1 * nb_classes],
                doa_pred1[class_cnt + 2 * nb_classes],
            )
            < thresh_unify
        ):
            return 1
        else:
            return 0
    else:
        return 0


def official_output_dict(accdoa_in, nb_classes, thresh_unify=15.0):
    """The test loop's ``output_dict``: {frame: [[class, x, y, z, dist], ...]} (raw xyz, dist in m)."""
    sed_pred0, doa_pred0, dist_pred0, sed_pred1, doa_pred1, dist_pred1, sed_pred2, doa_pred2, dist_pred2 = (
        get_multi_accdoa_labels(np.array(accdoa_in, dtype=np.float64), nb_classes)
    )
    C = nb_classes
    output_dict = {}
    for frame_cnt in range(sed_pred0.shape[0]):
        for class_cnt in range(sed_pred0.shape[1]):
            # determine whether track0 is similar to track1
            flag_0sim1 = determine_similar_location(
                sed_pred0[frame_cnt][class_cnt], sed_pred1[frame_cnt][class_cnt], doa_pred0[frame_cnt], doa_pred1[frame_cnt], class_cnt, thresh_unify, C
            )  # fmt: skip
            flag_1sim2 = determine_similar_location(
                sed_pred1[frame_cnt][class_cnt], sed_pred2[frame_cnt][class_cnt], doa_pred1[frame_cnt], doa_pred2[frame_cnt], class_cnt, thresh_unify, C
            )  # fmt: skip
            flag_2sim0 = determine_similar_location(
                sed_pred2[frame_cnt][class_cnt], sed_pred0[frame_cnt][class_cnt], doa_pred2[frame_cnt], doa_pred0[frame_cnt], class_cnt, thresh_unify, C
            )  # fmt: skip
            # unify or not unify according to flag
            if flag_0sim1 + flag_1sim2 + flag_2sim0 == 0:
                if sed_pred0[frame_cnt][class_cnt] > 0.5:
                    if frame_cnt not in output_dict:
                        output_dict[frame_cnt] = []
                    output_dict[frame_cnt].append([class_cnt, doa_pred0[frame_cnt][class_cnt], doa_pred0[frame_cnt][class_cnt + C], doa_pred0[frame_cnt][class_cnt + 2 * C], dist_pred0[frame_cnt][class_cnt]])  # fmt: skip
                if sed_pred1[frame_cnt][class_cnt] > 0.5:
                    if frame_cnt not in output_dict:
                        output_dict[frame_cnt] = []
                    output_dict[frame_cnt].append([class_cnt, doa_pred1[frame_cnt][class_cnt], doa_pred1[frame_cnt][class_cnt + C], doa_pred1[frame_cnt][class_cnt + 2 * C], dist_pred1[frame_cnt][class_cnt]])  # fmt: skip
                if sed_pred2[frame_cnt][class_cnt] > 0.5:
                    if frame_cnt not in output_dict:
                        output_dict[frame_cnt] = []
                    output_dict[frame_cnt].append([class_cnt, doa_pred2[frame_cnt][class_cnt], doa_pred2[frame_cnt][class_cnt + C], doa_pred2[frame_cnt][class_cnt + 2 * C], dist_pred2[frame_cnt][class_cnt]])  # fmt: skip
            elif flag_0sim1 + flag_1sim2 + flag_2sim0 == 1:
                if frame_cnt not in output_dict:
                    output_dict[frame_cnt] = []
                if flag_0sim1:
                    if sed_pred2[frame_cnt][class_cnt] > 0.5:
                        output_dict[frame_cnt].append([class_cnt, doa_pred2[frame_cnt][class_cnt], doa_pred2[frame_cnt][class_cnt + C], doa_pred2[frame_cnt][class_cnt + 2 * C], dist_pred2[frame_cnt][class_cnt]])  # fmt: skip
                    doa_pred_fc = (doa_pred0[frame_cnt] + doa_pred1[frame_cnt]) / 2
                    dist_pred_fc = (dist_pred0[frame_cnt] + dist_pred1[frame_cnt]) / 2
                    output_dict[frame_cnt].append([class_cnt, doa_pred_fc[class_cnt], doa_pred_fc[class_cnt + C], doa_pred_fc[class_cnt + 2 * C], dist_pred_fc[class_cnt]])  # fmt: skip
                elif flag_1sim2:
                    if sed_pred0[frame_cnt][class_cnt] > 0.5:
                        output_dict[frame_cnt].append([class_cnt, doa_pred0[frame_cnt][class_cnt], doa_pred0[frame_cnt][class_cnt + C], doa_pred0[frame_cnt][class_cnt + 2 * C], dist_pred0[frame_cnt][class_cnt]])  # fmt: skip
                    doa_pred_fc = (doa_pred1[frame_cnt] + doa_pred2[frame_cnt]) / 2
                    dist_pred_fc = (dist_pred1[frame_cnt] + dist_pred2[frame_cnt]) / 2
                    output_dict[frame_cnt].append([class_cnt, doa_pred_fc[class_cnt], doa_pred_fc[class_cnt + C], doa_pred_fc[class_cnt + 2 * C], dist_pred_fc[class_cnt]])  # fmt: skip
                elif flag_2sim0:
                    if sed_pred1[frame_cnt][class_cnt] > 0.5:
                        output_dict[frame_cnt].append([class_cnt, doa_pred1[frame_cnt][class_cnt], doa_pred1[frame_cnt][class_cnt + C], doa_pred1[frame_cnt][class_cnt + 2 * C], dist_pred1[frame_cnt][class_cnt]])  # fmt: skip
                    doa_pred_fc = (doa_pred2[frame_cnt] + doa_pred0[frame_cnt]) / 2
                    dist_pred_fc = (dist_pred2[frame_cnt] + dist_pred0[frame_cnt]) / 2
                    output_dict[frame_cnt].append([class_cnt, doa_pred_fc[class_cnt], doa_pred_fc[class_cnt + C], doa_pred_fc[class_cnt + 2 * C], dist_pred_fc[class_cnt]])  # fmt: skip
            elif flag_0sim1 + flag_1sim2 + flag_2sim0 >= 2:
                if frame_cnt not in output_dict:
                    output_dict[frame_cnt] = []
                doa_pred_fc = (doa_pred0[frame_cnt] + doa_pred1[frame_cnt] + doa_pred2[frame_cnt]) / 3
                dist_pred_fc = (dist_pred0[frame_cnt] + dist_pred1[frame_cnt] + dist_pred2[frame_cnt]) / 3
                output_dict[frame_cnt].append([class_cnt, doa_pred_fc[class_cnt], doa_pred_fc[class_cnt + C], doa_pred_fc[class_cnt + 2 * C], dist_pred_fc[class_cnt]])  # fmt: skip
    return output_dict


def official_rows(accdoa_in, nb_classes, thresh_unify=15.0):
    """The output dict as rows (K, 5) ``frame, class, x, y, z`` with the position = unit(xyz) * dist."""
    rows = []
    for frame, entries in sorted(official_output_dict(accdoa_in, nb_classes, thresh_unify).items()):
        for cls, x, y, z, d in entries:
            n = np.sqrt(x * x + y * y + z * z)
            rows.append([frame, cls, x / n * d, y / n * d, z / n * d])
    return np.array(rows, dtype=np.float64).reshape(-1, 5)


def flat_clip_output(accdoa, dist):
    """One clip's (T, 3, 3, C) and (T, 3, C) arrays -> the official flat (T, 3 * 4 * C) float64 array."""
    t, _, _, c = accdoa.shape
    out = np.zeros((t, 12 * c))
    for track in range(3):
        for axis in range(3):
            out[:, track * 4 * c + axis * c : track * 4 * c + (axis + 1) * c] = accdoa[:, track, axis]
        out[:, track * 4 * c + 3 * c : track * 4 * c + 4 * c] = dist[:, track]
    return out
