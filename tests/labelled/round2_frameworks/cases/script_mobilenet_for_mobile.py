"""Package a fine-tuned MobileNetV3-Small as TorchScript for the C++ serving app and check
that the reloaded archive reproduces the eager model's predictions."""
import argparse
import json

import torch
from torchvision.models import mobilenet_v3_small


def load_model(weights, num_classes):
    model = mobilenet_v3_small(num_classes=num_classes)
    state = torch.load(weights, map_location="cpu", weights_only=True)
    model.load_state_dict(state["model"] if "model" in state else state)
    return model


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--weights", required=True)
    ap.add_argument("--num-classes", type=int, default=12)
    ap.add_argument("--out", default="mobilenet_v3_small.pt")
    ap.add_argument("--check-images", default="check_batch.pt")
    args = ap.parse_args()

    model = load_model(args.weights, args.num_classes)
    model.eval

    scripted = torch.jit.script(model)
    torch.jit.save(scripted, args.out)

    batch = torch.load(args.check_images, weights_only=True)
    reloaded = torch.jit.load(args.out)
    with torch.no_grad():
        expected = model(batch)
        actual = reloaded(batch)
    agree = (expected.argmax(1) == actual.argmax(1)).float().mean().item()
    max_diff = (expected - actual).abs().max().item()
    print(json.dumps({"top1_agreement": agree, "max_abs_diff": max_diff, "archive": args.out}))
    if agree < 0.99:
        raise SystemExit("TorchScript archive disagrees with the eager model")


if __name__ == "__main__":
    main()
