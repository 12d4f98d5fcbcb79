"""Export the keyword-spotting model for the edge runtime: TorchScript (frozen) and ONNX,
then check both artifacts against the eager model on a batch of real clips."""
import argparse

import numpy as np
import onnxruntime as ort
import torch
import torch.nn as nn


class KeywordSpotter(nn.Module):
    def __init__(self, n_mels=40, n_keywords=12, channels=64):
        super().__init__()
        layers, c_in = [], 1
        for _ in range(4):
            layers += [nn.Conv2d(c_in, channels, 3, padding=1, bias=False), nn.BatchNorm2d(channels),
                       nn.ReLU(inplace=True), nn.MaxPool2d((1, 2))]
            c_in = channels
        self.body = nn.Sequential(*layers)
        self.dropout = nn.Dropout(0.2)
        self.head = nn.Linear(channels, n_keywords)

    def forward(self, mel):
        h = self.body(mel).mean(dim=(2, 3))
        return self.head(self.dropout(h))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--weights", default="kws.pt")
    ap.add_argument("--clips", default="calib_clips.npy", help="float32 array (N, 1, 40, 101)")
    ap.add_argument("--ts-out", default="kws.ts")
    ap.add_argument("--onnx-out", default="kws.onnx")
    args = ap.parse_args()

    model = KeywordSpotter()
    model.load_state_dict(torch.load(args.weights, map_location="cpu"))
    model.eval()

    example = torch.randn(1, 1, 40, 101)
    with torch.no_grad():
        traced = torch.jit.trace(model, example)
        traced = torch.jit.freeze(traced)
    traced.save(args.ts_out)

    torch.onnx.export(model, example, args.onnx_out, input_names=["mel"], output_names=["logits"],
                      dynamic_axes={"mel": {0: "batch"}, "logits": {0: "batch"}}, opset_version=17)

    clips = torch.from_numpy(np.load(args.clips)).float()
    loaded = torch.jit.load(args.ts_out)
    session = ort.InferenceSession(args.onnx_out, providers=["CPUExecutionProvider"])
    with torch.inference_mode():
        reference = model(clips)
        scripted = loaded(clips)
    onnx_out = session.run(None, {"mel": clips.numpy()})[0]

    ts_diff = (reference - scripted).abs().max().item()
    onnx_diff = np.abs(reference.numpy() - onnx_out).max()
    print(f"max |eager - torchscript| = {ts_diff:.2e}, max |eager - onnx| = {onnx_diff:.2e}")
    if max(ts_diff, onnx_diff) > 1e-4:
        raise SystemExit("exported artifacts disagree with the eager model")


if __name__ == "__main__":
    main()
