"""Transcribe cropped receipt text lines with a pretrained TrOCR checkpoint."""
import argparse
import json
from pathlib import Path

import torch
from PIL import Image
from transformers import TrOCRProcessor, VisionEncoderDecoderModel

CHECKPOINT = "microsoft/trocr-base-printed"


def transcribe(paths, processor, model, device, batch_size=16):
    texts = {}
    for i in range(0, len(paths), batch_size):
        chunk = paths[i:i + batch_size]
        images = [Image.open(p).convert("RGB") for p in chunk]
        pixel_values = processor(images=images, return_tensors="pt").pixel_values.to(device)
        ids = model.generate(pixel_values, num_beams=4, max_new_tokens=64)
        for p, text in zip(chunk, processor.batch_decode(ids, skip_special_tokens=True)):
            texts[p.name] = text.strip()
    return texts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("lines_dir")
    ap.add_argument("--out", default="receipt_lines.json")
    args = ap.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    processor = TrOCRProcessor.from_pretrained(CHECKPOINT)
    model = VisionEncoderDecoderModel.from_pretrained(CHECKPOINT).to(device)
    paths = sorted(Path(args.lines_dir).glob("*.png"))
    texts = transcribe(paths, processor, model, device)
    Path(args.out).write_text(json.dumps(texts, indent=2, ensure_ascii=False))
    print(f"{len(texts)} lines -> {args.out}")


if __name__ == "__main__":
    main()
