"""Speech enhancement: a masking network on STFT magnitudes, trained on noisy/clean pairs.

A few denoised validation clips are written to disk every --log-every steps.
"""
import argparse

import torch
import torch.nn as nn
import torchaudio

N_FFT, HOP = 512, 128


class MaskNet(nn.Module):
    def __init__(self, n_bins=N_FFT // 2 + 1, hidden=256):
        super().__init__()
        self.norm = nn.BatchNorm1d(n_bins)
        self.gru = nn.GRU(n_bins, hidden, num_layers=2, dropout=0.2, batch_first=True)
        self.mask = nn.Sequential(nn.Linear(hidden, n_bins), nn.Sigmoid())

    def forward(self, mag):                              # mag: (B, F, T)
        h, _ = self.gru(self.norm(torch.log1p(mag)).transpose(1, 2))
        return self.mask(h).transpose(1, 2) * mag


def stft(wav):
    return torch.stft(wav, N_FFT, HOP, window=torch.hann_window(N_FFT, device=wav.device), return_complex=True)


def istft(spec, length):
    return torch.istft(spec, N_FFT, HOP, window=torch.hann_window(N_FFT, device=spec.device), length=length)


def write_examples(model, noisy, step, sr=16000):
    model.eval()
    try:
        with torch.no_grad():
            spec = stft(noisy)
            est = model(spec.abs())
            wav = istft(torch.polar(est, spec.angle()), noisy.shape[-1])
        for i, clip in enumerate(wav.cpu()):
            torchaudio.save(f"samples/step{step:06d}_{i}.wav", clip.unsqueeze(0), sr)
    finally:
        model.train()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", default="vctk_demand_pairs.pt")
    ap.add_argument("--steps", type=int, default=100_000)
    ap.add_argument("--log-every", type=int, default=5000)
    args = ap.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    noisy_all, clean_all = torch.load(args.pairs)
    val_noisy = noisy_all[:4].to(device)

    model = MaskNet().to(device)
    opt = torch.optim.Adam(model.parameters(), lr=3e-4)
    model.train()
    for step in range(args.steps):
        idx = torch.randint(4, len(noisy_all), (16,))
        noisy, clean = noisy_all[idx].to(device), clean_all[idx].to(device)
        loss = (model(stft(noisy).abs()) - stft(clean).abs()).abs().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % args.log_every == 0:
            print(f"step {step}: L1 {loss.item():.4f}")
            write_examples(model, val_noisy, step)
    torch.save(model.state_dict(), "masknet.pt")


if __name__ == "__main__":
    main()
