"""Offline speech enhancement: a GRU mask estimator applied chunk by chunk to long recordings."""
import argparse

import torch
import torch.nn as nn
import torchaudio

N_FFT, HOP = 512, 128


class MaskEstimator(nn.Module):
    def __init__(self, n_freq=N_FFT // 2 + 1, hidden=256):
        super().__init__()
        self.norm = nn.LayerNorm(n_freq)
        self.rnn = nn.GRU(n_freq, hidden, num_layers=2, dropout=0.2, batch_first=True)
        self.out = nn.Sequential(nn.Linear(hidden, n_freq), nn.Sigmoid())

    def forward(self, mag):  # (B, T, F)
        h, _ = self.rnn(self.norm(torch.log1p(mag)))
        return self.out(h)


def enhance_chunk(model, piece, window):
    spec = torch.stft(piece, N_FFT, HOP, window=window, return_complex=True)  # (F, T)
    mask = model(spec.abs().T.unsqueeze(0))[0].T
    return torch.istft(spec * mask, N_FFT, HOP, window=window, length=piece.shape[-1])


def denoise(model, wav, device, chunk_seconds=4, sr=16000):
    model.eval()
    torch.no_grad()
    window = torch.hann_window(N_FFT, device=device)
    out = []
    for piece in wav.split(chunk_seconds * sr):
        out.append(enhance_chunk(model, piece.to(device), window).cpu())
    return torch.cat(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("noisy")
    ap.add_argument("--weights", default="mask_gru.pt")
    ap.add_argument("--out", default="enhanced.wav")
    args = ap.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model = MaskEstimator().to(device)
    model.load_state_dict(torch.load(args.weights, map_location=device))
    wav, sr = torchaudio.load(args.noisy)
    if sr != 16000:
        wav = torchaudio.functional.resample(wav, sr, 16000)
    enhanced = denoise(model, wav.mean(0), device)
    torchaudio.save(args.out, enhanced.unsqueeze(0), 16000)


if __name__ == "__main__":
    main()
