"""Classify a folder of plant photos with a fine-tuned DenseNet-121 (script from the
PyTorch 0.3 days, still in use)."""
import argparse
import csv
import os

import torch
from PIL import Image
from torch.autograd import Variable
from torch.utils.data import DataLoader, Dataset
from torchvision import models, transforms


class PhotoFolder(Dataset):
    def __init__(self, root, tfm):
        self.paths = sorted(os.path.join(root, f) for f in os.listdir(root) if f.lower().endswith(".jpg"))
        self.tfm = tfm

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, i):
        return self.tfm(Image.open(self.paths[i]).convert("RGB")), self.paths[i]


def iter_predictions(model, loader, use_cuda):
    model.eval()
    for images, paths in loader:
        if use_cuda:
            images = images.cuda()
        inputs = Variable(images, volatile=True)
        outputs = model(inputs)
        conf, pred = torch.nn.functional.softmax(outputs, dim=1).max(1)
        for path, c, p in zip(paths, conf.data.cpu(), pred.data.cpu()):
            yield os.path.basename(path), int(p), float(c)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("images")
    ap.add_argument("--weights", default="densenet121_plants.pth")
    ap.add_argument("--classes", type=int, default=38)
    ap.add_argument("--out", default="predictions.csv")
    args = ap.parse_args()

    use_cuda = torch.cuda.is_available()
    model = models.densenet121(num_classes=args.classes)
    model.load_state_dict(torch.load(args.weights, map_location="cpu"))
    if use_cuda:
        model = model.cuda()
    tfm = transforms.Compose([
        transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(),
        transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
    ])
    loader = DataLoader(PhotoFolder(args.images, tfm), batch_size=32, num_workers=4)
    with open(args.out, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["file", "class", "confidence"])
        for row in iter_predictions(model, loader, use_cuda):
            writer.writerow(row)


if __name__ == "__main__":
    main()
