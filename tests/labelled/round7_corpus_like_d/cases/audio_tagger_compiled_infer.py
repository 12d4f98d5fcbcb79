"""Tag a folder of audio clips with a trained CNN14-style model (torch.compile + fp16 inference)."""
import argparse
import json
from pathlib import Path

import torch
import torch.nn as nn
import torchaudio


def block(cin, cout):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(),
                         nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(),
                         nn.AvgPool2d(2), nn.Dropout(0.2))


class AudioTagger(nn.Module):
    def __init__(self, n_classes=527, n_mels=64):
        super().__init__()
        self.melspec = torchaudio.transforms.MelSpectrogram(32000, n_fft=1024, hop_length=320, n_mels=n_mels)
        self.bn0 = nn.BatchNorm2d(1)
        self.convs = nn.Sequential(block(1, 64), block(64, 128), block(128, 256), block(256, 512))
        self.fc = nn.Linear(512, n_classes)

    def forward(self, wav):
        x = torch.log(self.melspec(wav) + 1e-6).unsqueeze(1)
        x = self.convs(self.bn0(x))
        x = x.mean(dim=3).amax(dim=2)
        return self.fc(x).sigmoid()


def load_clip(path, sr=32000, seconds=10):
    wav, orig_sr = torchaudio.load(path)
    wav = torchaudio.functional.resample(wav.mean(0), orig_sr, sr)
    return torch.nn.functional.pad(wav, (0, max(0, sr * seconds - wav.numel())))[: sr * seconds]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("clips")
    ap.add_argument("--ckpt", default="cnn14_audioset.pth")
    ap.add_argument("--labels", default="audioset_labels.json")
    ap.add_argument("--topk", type=int, default=5)
    args = ap.parse_args()
    labels = json.loads(Path(args.labels).read_text())

    model = AudioTagger(n_classes=len(labels))
    model.load_state_dict(torch.load(args.ckpt, map_location="cpu")["model"])
    model.eval().cuda()
    tagger = torch.compile(model, mode="reduce-overhead")

    paths = sorted(Path(args.clips).glob("*.wav"))
    for i in range(0, len(paths), 16):
        batch = torch.stack([load_clip(p) for p in paths[i:i + 16]]).cuda()
        with torch.inference_mode(), torch.autocast("cuda", dtype=torch.float16):
            probs = tagger(batch).float().cpu()
        for p, row in zip(paths[i:i + 16], probs):
            top = row.topk(args.topk)
            print(p.name, ", ".join(f"{labels[j]} {v:.2f}" for v, j in zip(top.values.tolist(), top.indices.tolist())))


if __name__ == "__main__":
    main()
