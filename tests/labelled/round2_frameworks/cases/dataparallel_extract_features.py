"""Extract 2048-d ResNet-152 pool features for an image retrieval index (multi-GPU).

Originally written for PyTorch 0.3; still run nightly to refresh the index.
"""
import argparse
import os

import numpy as np
import torch
import torch.nn as nn
import torchvision.models as models
import torchvision.transforms as transforms
from torch.autograd import Variable
from torch.utils.data import DataLoader
from torchvision.datasets import ImageFolder


class ImageFolderWithPaths(ImageFolder):
    def __getitem__(self, index):
        img, _ = super().__getitem__(index)
        return img, self.samples[index][0]


def build_extractor():
    resnet = models.resnet152(pretrained=True)
    resnet.fc = nn.Identity()
    model = nn.DataParallel(resnet).cuda()
    model.eval()
    return model


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("image_dir")
    parser.add_argument("--out", default="index")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--workers", type=int, default=16)
    args = parser.parse_args()

    tf = transforms.Compose([
        transforms.Resize(256),
        transforms.CenterCrop(224),
        transforms.ToTensor(),
        transforms.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225]),
    ])
    dataset = ImageFolderWithPaths(args.image_dir, tf)
    loader = DataLoader(dataset, batch_size=args.batch_size, num_workers=args.workers, pin_memory=True)
    model = build_extractor()

    feats, paths = [], []
    for i, (images, batch_paths) in enumerate(loader):
        inputs = Variable(images.cuda(non_blocking=True), volatile=True)
        out = model(inputs)
        out = out / out.norm(dim=1, keepdim=True)
        feats.append(out.data.cpu().numpy().astype(np.float16))
        paths.extend(batch_paths)
        if i % 50 == 0:
            print("[%d/%d] batches" % (i, len(loader)))

    os.makedirs(args.out, exist_ok=True)
    np.save(os.path.join(args.out, "features.npy"), np.concatenate(feats))
    with open(os.path.join(args.out, "paths.txt"), "w") as fh:
        fh.write("\n".join(paths))


if __name__ == "__main__":
    main()
