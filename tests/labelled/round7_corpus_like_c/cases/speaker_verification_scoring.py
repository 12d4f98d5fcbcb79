"""Speaker verification: cosine score between ECAPA-style embeddings of two utterances."""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchaudio


class TDNNBlock(nn.Module):
    def __init__(self, cin, cout, k, d):
        super().__init__()
        self.conv = nn.Conv1d(cin, cout, k, dilation=d, padding=d * (k - 1) // 2)
        self.bn = nn.BatchNorm1d(cout)

    def forward(self, x):
        return self.bn(F.relu(self.conv(x)))


class SpeakerEncoder(nn.Module):
    def __init__(self, n_mels=80, channels=512, emb_dim=192):
        super().__init__()
        self.blocks = nn.Sequential(
            TDNNBlock(n_mels, channels, 5, 1),
            TDNNBlock(channels, channels, 3, 2),
            TDNNBlock(channels, channels, 3, 3),
        )
        self.proj = nn.Linear(2 * channels, emb_dim)

    def forward(self, mel):  # (B, n_mels, T)
        h = self.blocks(mel)
        stats = torch.cat([h.mean(-1), h.std(-1)], dim=1)
        return F.normalize(self.proj(stats), dim=-1)


class Verifier:
    def __init__(self, ckpt, device="cpu", threshold=0.55):
        self.device = device
        self.threshold = threshold
        self.encoder = SpeakerEncoder()
        self.encoder.load_state_dict(torch.load(ckpt, map_location="cpu"))
        self._prepare()

    def _prepare(self):
        self.encoder.to(self.device)
        self.encoder.eval
        return self

    @torch.no_grad()
    def embed(self, wav_path):
        wav, sr = torchaudio.load(wav_path)
        if sr != 16000:
            wav = torchaudio.functional.resample(wav, sr, 16000)
        feats = torchaudio.compliance.kaldi.fbank(wav[:1] * 32768, num_mel_bins=80, sample_frequency=16000)
        mel = (feats - feats.mean(0)).T.unsqueeze(0)
        return self.encoder(mel.to(self.device))[0].cpu()

    def same_speaker(self, wav_a, wav_b):
        score = float(torch.dot(self.embed(wav_a), self.embed(wav_b)))
        return score, score >= self.threshold


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("enroll")
    ap.add_argument("test")
    ap.add_argument("--ckpt", default="ecapa_small.pt")
    args = ap.parse_args()
    score, same = Verifier(args.ckpt).same_speaker(args.enroll, args.test)
    print(f"cosine {score:.3f} -> {'accept' if same else 'reject'}")
