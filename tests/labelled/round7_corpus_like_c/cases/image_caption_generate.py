"""Caption a folder of photos with BLIP and keep the captions whose CLIP score is high enough."""
import argparse
from pathlib import Path

import torch
from PIL import Image
from transformers import BlipForConditionalGeneration, BlipProcessor, CLIPModel, CLIPProcessor

BLIP = "Salesforce/blip-image-captioning-base"
CLIP = "openai/clip-vit-base-patch32"


def load_models(device):
    blip_proc = BlipProcessor.from_pretrained(BLIP)
    blip = BlipForConditionalGeneration.from_pretrained(BLIP).to(device)
    clip_proc = CLIPProcessor.from_pretrained(CLIP)
    clip = CLIPModel.from_pretrained(CLIP).to(device)
    return blip_proc, blip, clip_proc, clip


def caption_batch(proc, model, images, device):
    inputs = proc(images=images, return_tensors="pt").to(device)
    out = model.generate(**inputs, max_new_tokens=30, num_beams=3)
    return proc.batch_decode(out, skip_special_tokens=True)


@torch.no_grad()
def clip_scores(proc, model, images, texts, device):
    inputs = proc(text=texts, images=images, return_tensors="pt", padding=True).to(device)
    out = model(**inputs)
    img = out.image_embeds / out.image_embeds.norm(dim=-1, keepdim=True)
    txt = out.text_embeds / out.text_embeds.norm(dim=-1, keepdim=True)
    return (img * txt).sum(-1).cpu().tolist()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("photos", type=Path)
    ap.add_argument("--min-score", type=float, default=0.25)
    ap.add_argument("--batch", type=int, default=16)
    args = ap.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    blip_proc, blip, clip_proc, clip = load_models(device)
    paths = sorted(args.photos.glob("*.jpg"))
    for i in range(0, len(paths), args.batch):
        chunk = paths[i:i + args.batch]
        images = [Image.open(p).convert("RGB") for p in chunk]
        caps = caption_batch(blip_proc, blip, images, device)
        for p, c, s in zip(chunk, caps, clip_scores(clip_proc, clip, images, caps, device)):
            if s >= args.min_score:
                print(f"{p.name}\t{s:.3f}\t{c}")


if __name__ == "__main__":
    main()
