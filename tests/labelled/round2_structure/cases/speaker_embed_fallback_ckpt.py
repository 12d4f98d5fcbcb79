"""Extract speaker embeddings for a list of wav files.

Uses the fine-tuned checkpoint when there is one and falls back to the base checkpoint
otherwise."""
import argparse
import logging

import torch
import torch.nn as nn
import torchaudio

log = logging.getLogger("embed")


class SpeakerNet(nn.Module):
    """x-vector style TDNN over 40 log-mel bands."""

    def __init__(self, n_mels=40, emb=192):
        super().__init__()
        self.mel = torchaudio.transforms.MelSpectrogram(16000, n_fft=512, hop_length=160, n_mels=n_mels)
        self.tdnn = nn.Sequential(
            nn.Conv1d(n_mels, 512, 5, dilation=1), nn.BatchNorm1d(512), nn.ReLU(),
            nn.Conv1d(512, 512, 3, dilation=2), nn.BatchNorm1d(512), nn.ReLU(),
            nn.Conv1d(512, 1500, 1), nn.BatchNorm1d(1500), nn.ReLU(),
        )
        self.embed = nn.Sequential(nn.Linear(3000, emb), nn.Dropout(0.1))

    def forward(self, wav):
        feats = (self.mel(wav) + 1e-6).log()
        h = self.tdnn(feats)
        stats = torch.cat([h.mean(-1), h.std(-1)], dim=-1)
        return nn.functional.normalize(self.embed(stats), dim=-1)


def load_model(finetuned, base):
    model = SpeakerNet()
    try:
        model.load_state_dict(torch.load(finetuned, map_location="cpu")["model"])
        model.eval()
    except FileNotFoundError:
        log.warning("no fine-tuned weights at %s, using the base checkpoint %s", finetuned, base)
        model.load_state_dict(torch.load(base, map_location="cpu"))
    return model


def main(args):
    model = load_model(args.finetuned, args.base)
    with open(args.wav_list) as fh:
        paths = [line.strip() for line in fh if line.strip()]
    embeddings = {}
    with torch.inference_mode():
        for path in paths:
            wav, sr = torchaudio.load(path)
            if sr != 16000:
                wav = torchaudio.functional.resample(wav, sr, 16000)
            embeddings[path] = model(wav.mean(0, keepdim=True)).squeeze(0)
    torch.save(embeddings, args.out)
    log.info("wrote %d embeddings to %s", len(embeddings), args.out)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    ap = argparse.ArgumentParser()
    ap.add_argument("wav_list")
    ap.add_argument("--finetuned", default="ckpt/speaker_ft.pt")
    ap.add_argument("--base", default="ckpt/speaker_base.pt")
    ap.add_argument("--out", default="embeddings.pt")
    main(ap.parse_args())
