"""Train a ResNet-50 defect classifier with torch.compile and AMP, then export the eager
module to ONNX and TorchScript and check both against the compiled model."""
import argparse

import numpy as np
import onnxruntime as ort
import torch
import torch.nn.functional as F
from torchvision import datasets, transforms
from torchvision.models import ResNet50_Weights, resnet50


def train_one_epoch(net, loader, optimizer, scaler, device):
    net.train()
    for images, labels in loader:
        images, labels = images.to(device, non_blocking=True), labels.to(device, non_blocking=True)
        with torch.autocast("cuda", dtype=torch.float16):
            loss = F.cross_entropy(net(images), labels)
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
    return loss.item()


@torch.no_grad()
def validate(net, loader, device):
    net.eval()
    correct = total = 0
    for images, labels in loader:
        preds = net(images.to(device, non_blocking=True)).argmax(1).cpu()
        correct += (preds == labels).sum().item()
        total += labels.numel()
    return correct / total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--epochs", type=int, default=12)
    args = ap.parse_args()
    device = torch.device("cuda")

    weights = ResNet50_Weights.IMAGENET1K_V2
    train_tf = transforms.Compose([transforms.RandomResizedCrop(224), transforms.RandomHorizontalFlip(),
                                   transforms.ToTensor(), transforms.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))])
    train_ds = datasets.ImageFolder(f"{args.data}/train", train_tf)
    val_ds = datasets.ImageFolder(f"{args.data}/val", weights.transforms())
    train_loader = torch.utils.data.DataLoader(train_ds, batch_size=64, shuffle=True, num_workers=8, pin_memory=True)
    val_loader = torch.utils.data.DataLoader(val_ds, batch_size=128, num_workers=8)

    model = resnet50(weights=weights)
    model.fc = torch.nn.Linear(model.fc.in_features, len(train_ds.classes))
    model = model.to(device)
    compiled = torch.compile(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
    scaler = torch.cuda.amp.GradScaler()
    for epoch in range(args.epochs):
        loss = train_one_epoch(compiled, train_loader, optimizer, scaler, device)
        print(f"epoch {epoch}: loss {loss:.4f} val acc {validate(compiled, val_loader, device):.4f}")

    # export from the eager module; compiled graphs cannot be traced or exported directly
    model.eval()
    example = torch.randn(1, 3, 224, 224, device=device)
    torch.onnx.export(model, example, "defects.onnx", input_names=["image"], output_names=["logits"],
                      dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}}, opset_version=17)
    traced = torch.jit.trace(model, example)
    traced.save("defects.ts")

    reloaded = torch.jit.load("defects.ts", map_location=device)
    session = ort.InferenceSession("defects.onnx", providers=["CUDAExecutionProvider", "CPUExecutionProvider"])
    with torch.inference_mode():
        ref = compiled(example)
        ts_out = reloaded(example)
    onnx_out = session.run(None, {"image": example.cpu().numpy()})[0]
    torch.testing.assert_close(ts_out, ref, rtol=1e-3, atol=1e-3)
    np.testing.assert_allclose(onnx_out, ref.cpu().numpy(), rtol=1e-3, atol=1e-3)
    print("exported defects.onnx and defects.ts; outputs match")


if __name__ == "__main__":
    main()
