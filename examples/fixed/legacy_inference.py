# evalguard example: fixed twin of examples/buggy/legacy_inference.py. Expected findings: none.
"""Classify 28x28 digit crops with a LeNet-style model. The script was written for
PyTorch 0.3 and is still used to label new scans (updated for PyTorch 2.x)."""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F


class LeNet(nn.Module):
    def __init__(self):
        super(LeNet, self).__init__()
        self.conv1 = nn.Conv2d(1, 10, kernel_size=5)
        self.conv2 = nn.Conv2d(10, 20, kernel_size=5)
        self.conv2_drop = nn.Dropout2d()
        self.fc1 = nn.Linear(320, 50)
        self.fc2 = nn.Linear(50, 10)

    def forward(self, x):
        x = F.relu(F.max_pool2d(self.conv1(x), 2))
        x = F.relu(F.max_pool2d(self.conv2_drop(self.conv2(x)), 2))
        x = F.relu(self.fc1(x.view(-1, 320)))
        x = F.dropout(x, training=self.training)
        return F.log_softmax(self.fc2(x), dim=1)


def predict(model, images, batch_size):
    model.eval()
    preds = []
    with torch.no_grad():
        for start in range(0, len(images), batch_size):
            output = model(images[start:start + batch_size])
            preds.append(output.argmax(1))
    return torch.cat(preds)


def main():
    parser = argparse.ArgumentParser(description="LeNet digit classifier (inference)")
    parser.add_argument("--weights", default="lenet.pth")
    parser.add_argument("--images", default="digits.pt", help="N x 1 x 28 x 28 float tensor")
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--cuda", action="store_true")
    args = parser.parse_args()

    model = LeNet()
    model.load_state_dict(torch.load(args.weights, map_location="cpu"))
    images = torch.load(args.images)
    if args.cuda:
        model.cuda()
        images = images.cuda()
    preds = predict(model, images, args.batch_size)
    for i, label in enumerate(preds.tolist()):
        print("{}\t{}".format(i, label))


if __name__ == "__main__":
    main()
