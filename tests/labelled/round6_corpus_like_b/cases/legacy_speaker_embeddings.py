"""Speaker-verification x-vector style network (code base started on PyTorch 0.3).

extract_embeddings() writes per-utterance embeddings; score_trials() computes cosine scores
for enrolment/test pairs.
"""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.autograd import Variable


class TDNN(nn.Module):
    def __init__(self, n_feats=30, n_speakers=1211, emb_dim=256):
        super().__init__()
        self.frame = nn.Sequential(
            nn.Conv1d(n_feats, 512, 5, dilation=1), nn.ReLU(), nn.BatchNorm1d(512),
            nn.Conv1d(512, 512, 3, dilation=2), nn.ReLU(), nn.BatchNorm1d(512),
            nn.Conv1d(512, 1500, 1), nn.ReLU(), nn.BatchNorm1d(1500),
        )
        self.segment = nn.Linear(3000, emb_dim)
        self.classifier = nn.Linear(emb_dim, n_speakers)

    def forward(self, x, embed_only=False):
        h = self.frame(x)
        stats = torch.cat([h.mean(-1), h.std(-1)], dim=1)
        stats = F.dropout(stats, p=0.5)
        emb = self.segment(stats)
        if embed_only:
            return emb
        return self.classifier(F.relu(emb))


def extract_embeddings(model, loader):
    model.eval()
    embeddings = {}
    for feats, utt_ids in loader:
        feats = Variable(feats.cuda(), volatile=True)
        emb = model(feats, embed_only=True)
        for utt, e in zip(utt_ids, emb.data.cpu().numpy()):
            embeddings[utt] = e / np.linalg.norm(e)
    return embeddings


def score_trials(model, trials, feats_by_utt):
    model.eval()
    scores = []
    with torch.no_grad():
        for enrol_id, test_id in trials:
            x = Variable(torch.stack([feats_by_utt[enrol_id], feats_by_utt[test_id]]).cuda(), volatile=True)
            e = F.normalize(model(x, embed_only=True), dim=1)
            scores.append((e[0] * e[1]).sum().item())
    return scores


if __name__ == "__main__":
    model = TDNN().cuda()
    model.load_state_dict(torch.load("tdnn_voxceleb1.pt"))
    loader = torch.utils.data.DataLoader(torch.load("vox1_test_feats.pt"), batch_size=1)
    embs = extract_embeddings(model, loader)
    np.save("vox1_test_embeddings.npy", embs)
    trials = [line.split()[1:] for line in open("veri_test.txt")]
    feats = {u: f for u, f in torch.load("vox1_test_feats_by_utt.pt").items()}
    print(np.mean(score_trials(model, trials[:1000], feats)))
