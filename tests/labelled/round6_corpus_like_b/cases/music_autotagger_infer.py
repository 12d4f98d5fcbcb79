"""Music auto-tagging: mel-spectrogram CNN front end with attention pooling over time.

Run as a script to tag audio files with a trained checkpoint.
"""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchaudio

TAGS = ["rock", "pop", "jazz", "classical", "electronic", "hip-hop", "vocal", "instrumental",
        "guitar", "piano", "drums", "ambient", "fast", "slow", "happy", "sad"]


class AttentionPool(nn.Module):
    def __init__(self, dim, heads=4, attn_dropout=0.1):
        super().__init__()
        self.heads = heads
        self.attn_dropout = attn_dropout
        self.query = nn.Parameter(torch.randn(1, 1, dim) * 0.02)
        self.kv = nn.Linear(dim, 2 * dim)

    def forward(self, x):                                  # x: (B, T, D)
        b, t, d = x.shape
        q = self.query.expand(b, -1, -1).view(b, 1, self.heads, d // self.heads).transpose(1, 2)
        k, v = self.kv(x).view(b, t, 2, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        y = F.scaled_dot_product_attention(q, k, v, dropout_p=self.attn_dropout)
        return y.transpose(1, 2).reshape(b, d)


class MusicTagger(nn.Module):
    def __init__(self, n_mels=96, n_tags=len(TAGS), width=64):
        super().__init__()
        chans = [1, width, width, 2 * width, 4 * width]
        self.frontend = nn.Sequential(*[
            nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ELU(), nn.MaxPool2d((2, 2)))
            for cin, cout in zip(chans[:-1], chans[1:])
        ])
        self.proj = nn.Linear(4 * width * (n_mels // 16), 256)
        self.pool = AttentionPool(256)
        self.head = nn.Sequential(nn.Dropout(0.3), nn.Linear(256, n_tags))

    def forward(self, mel):                                # mel: (B, 1, n_mels, T)
        f = self.frontend(mel)                             # (B, C, n_mels/16, T/16)
        f = self.proj(f.flatten(1, 2).transpose(1, 2))     # (B, T/16, 256)
        return self.head(self.pool(f))


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("weights")
    ap.add_argument("files", nargs="+")
    ap.add_argument("--top", type=int, default=5)
    args = ap.parse_args()

    torch.set_grad_enabled(False)
    model = MusicTagger()
    model.load_state_dict(torch.load(args.weights, map_location="cpu"))
    for path in args.files:
        wav, sr = torchaudio.load(path)
        wav = torchaudio.functional.resample(wav.mean(0, keepdim=True), sr, 16000)
        fbank = torchaudio.compliance.kaldi.fbank(wav, num_mel_bins=96, sample_frequency=16000,
                                                  frame_length=32.0, frame_shift=16.0)
        mel = fbank.T[None, None]                          # (1, 1, 96, T)
        probs = model(mel).sigmoid()[0]
        top = probs.topk(args.top)
        print(path, ", ".join(f"{TAGS[i]}={p:.2f}" for p, i in zip(top.values.tolist(), top.indices.tolist())))
