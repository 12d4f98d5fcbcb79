"""Ship detection in SAR image chips with Ultralytics YOLO: fine-tune, validate, export, and count
ships per scene."""
import argparse
from pathlib import Path

import torch
from ultralytics import YOLO


def count_ships(model, scene_dir, conf=0.3):
    counts = {}
    for chip in sorted(Path(scene_dir).glob("*.png")):
        result = model(str(chip), conf=conf, verbose=False)[0]
        counts[chip.name] = int((result.boxes.cls == 0).sum().item())
    return counts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="ssdd.yaml")
    ap.add_argument("--scenes", default="scenes/2024-06-01")
    ap.add_argument("--epochs", type=int, default=80)
    args = ap.parse_args()
    device = 0 if torch.cuda.is_available() else "cpu"

    model = YOLO("yolov8s.pt")
    model.train(data=args.data, epochs=args.epochs, imgsz=640, batch=32, device=device,
                mosaic=1.0, fliplr=0.5, degrees=90.0)
    metrics = model.val(data=args.data, split="test", device=device)
    print(f"test mAP50 {metrics.box.map50:.4f}  mAP50-95 {metrics.box.map:.4f}")

    best = YOLO(Path(model.trainer.save_dir) / "weights" / "best.pt")
    counts = count_ships(best, args.scenes)
    print(f"{sum(counts.values())} ships in {len(counts)} chips")
    for r in best.predict(source=args.scenes, conf=0.5, stream=True, save=True):
        print(r.path, len(r.boxes))
    best.export(format="onnx", imgsz=640, dynamic=True)


if __name__ == "__main__":
    main()
