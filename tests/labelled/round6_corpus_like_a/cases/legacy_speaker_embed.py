"""Extract d-vector speaker embeddings for enrollment (code from the PyTorch 0.3 days, still in the pipeline)."""
import argparse

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.autograd import Variable


class SpeakerEncoder(nn.Module):
    def __init__(self, n_mels=40, hidden=256, emb=256, layers=3):
        super().__init__()
        self.lstm = nn.LSTM(n_mels, hidden, layers, batch_first=True, dropout=0.2)
        self.proj = nn.Linear(hidden, emb)

    def forward(self, mels, mask):
        out, _ = self.lstm(mels)
        pooled = (out * mask.unsqueeze(-1)).sum(1) / mask.sum(1, keepdim=True)
        return F.normalize(F.relu(self.proj(pooled)), dim=1)


def pad_batch(utterances):
    max_len = max(u.shape[0] for u in utterances)
    mels = np.zeros((len(utterances), max_len, utterances[0].shape[1]), dtype=np.float32)
    mask = np.zeros((len(utterances), max_len), dtype=np.float32)
    for i, u in enumerate(utterances):
        mels[i, : len(u)], mask[i, : len(u)] = u, 1.0
    return torch.from_numpy(mels), torch.from_numpy(mask)


def embed_speaker(model, utterances, use_cuda):
    mels, mask = pad_batch(utterances)
    if use_cuda:
        mels, mask = mels.cuda(), mask.cuda()
    mels = Variable(mels, volatile=True)
    mask = Variable(mask, volatile=True)
    emb = model(mels, mask)
    return F.normalize(emb.mean(0), dim=0).data.cpu().numpy()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkpoint", default="speaker_encoder.pth")
    parser.add_argument("--enroll", default="enroll_mels.npz", help="one array of (frames, 40) per speaker utterance")
    parser.add_argument("--out", default="speaker_embeddings.npz")
    args = parser.parse_args()
    use_cuda = torch.cuda.is_available()
    model = SpeakerEncoder()
    model.load_state_dict(torch.load(args.checkpoint, map_location=lambda storage, loc: storage))
    if use_cuda:
        model = model.cuda()
    model.eval()
    data = np.load(args.enroll, allow_pickle=True)
    embeddings = {spk: embed_speaker(model, list(data[spk]), use_cuda) for spk in data.files}
    np.savez(args.out, **embeddings)
