"""Transcribe a folder of interview recordings with a pretrained Whisper checkpoint."""
import argparse
import json
from pathlib import Path

import soundfile as sf
import torch
from transformers import WhisperForConditionalGeneration, WhisperProcessor


def load_mono_16k(path):
    audio, sr = sf.read(path, dtype="float32", always_2d=True)
    audio = torch.from_numpy(audio.mean(axis=1))
    if sr != 16000:
        import torchaudio.functional as AF
        audio = AF.resample(audio, sr, 16000)
    return audio.numpy()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("audio_dir", type=Path)
    ap.add_argument("--model", default="openai/whisper-small")
    ap.add_argument("--language", default="en")
    ap.add_argument("--out", default="transcripts.jsonl")
    args = ap.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    dtype = torch.float16 if device == "cuda" else torch.float32

    processor = WhisperProcessor.from_pretrained(args.model)
    model = WhisperForConditionalGeneration.from_pretrained(args.model, torch_dtype=dtype).to(device)

    with open(args.out, "w") as out:
        for path in sorted(args.audio_dir.glob("*.wav")):
            audio = load_mono_16k(path)
            feats = processor(audio, sampling_rate=16000, return_tensors="pt").input_features.to(device, dtype)
            ids = model.generate(feats, language=args.language, task="transcribe", num_beams=5)
            text = processor.batch_decode(ids, skip_special_tokens=True)[0].strip()
            out.write(json.dumps({"file": path.name, "text": text}) + "\n")
            print(f"{path.name}: {text[:80]}")


if __name__ == "__main__":
    main()
