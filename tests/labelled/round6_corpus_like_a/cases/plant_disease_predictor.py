"""Leaf-disease classifier used by the field app's upload endpoint (38 PlantVillage classes)."""
import io
import json

import torch
from PIL import Image
from torchvision import transforms
from torchvision.models import mobilenet_v3_large


class LeafClassifier:
    def __init__(self, weights_path, classes_path, device="cpu"):
        self.device = torch.device(device)
        with open(classes_path) as fh:
            self.classes = json.load(fh)
        self.net = mobilenet_v3_large(num_classes=len(self.classes))
        self.net.load_state_dict(torch.load(weights_path, map_location="cpu"))
        self.net.to(self.device)
        self.net.eval
        self.tf = transforms.Compose([
            transforms.Resize(256),
            transforms.CenterCrop(224),
            transforms.ToTensor(),
            transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
        ])

    @torch.inference_mode()
    def predict(self, image_bytes, topk=3):
        img = Image.open(io.BytesIO(image_bytes)).convert("RGB")
        x = self.tf(img).unsqueeze(0).to(self.device)
        probs = self.net(x).softmax(-1)[0]
        values, indices = probs.topk(topk)
        return [(self.classes[i], round(v, 4)) for v, i in zip(values.tolist(), indices.tolist())]


if __name__ == "__main__":
    import sys

    clf = LeafClassifier("leaf_mnv3.pt", "leaf_classes.json")
    for path in sys.argv[1:]:
        with open(path, "rb") as fh:
            print(path, clf.predict(fh.read()))
