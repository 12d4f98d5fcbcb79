"""PCB defect detection with Ultralytics YOLO: train, validate on the test split, predict, export."""
import argparse
from pathlib import Path

from ultralytics import YOLO


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="pcb_defects.yaml")
    ap.add_argument("--epochs", type=int, default=100)
    ap.add_argument("--samples", type=Path, default=Path("samples"))
    args = ap.parse_args()

    model = YOLO("yolov8s.pt")
    model.train(data=args.data, epochs=args.epochs, imgsz=640, batch=16, patience=20, freeze=10)

    metrics = model.val(data=args.data, split="test", conf=0.001, iou=0.6)
    print(f"test mAP50-95 {metrics.box.map:.4f}  mAP50 {metrics.box.map50:.4f}")

    best = YOLO(Path(model.trainer.save_dir) / "weights" / "best.pt")
    for result in best.predict(source=str(args.samples), conf=0.25, stream=True):
        names = [best.names[int(c)] for c in result.boxes.cls.tolist()]
        print(Path(result.path).name, names)

    first = next(args.samples.glob("*.jpg"))
    boxes = best(str(first))[0].boxes
    print(f"{first.name}: {len(boxes)} defects")
    best.export(format="onnx", imgsz=640, simplify=True)


if __name__ == "__main__":
    main()
