"""FastAPI service for the product-photo classifier (ResNet-50 fine-tuned in-house).

Run with:  uvicorn fastapi_product_classifier:app --host 0.0.0.0 --port 8080
"""
import io
import os

import torch
from fastapi import FastAPI, File, HTTPException, UploadFile
from PIL import Image, UnidentifiedImageError
from torchvision import transforms
from torchvision.models import resnet50

WEIGHTS = os.environ.get("MODEL_WEIGHTS", "/models/product_resnet50.pt")
LABELS_FILE = os.environ.get("MODEL_LABELS", "/models/labels.txt")
DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")

with open(LABELS_FILE) as fh:
    LABELS = [line.strip() for line in fh if line.strip()]

app = FastAPI(title="product-classifier", version="2.3.0")

model = resnet50(num_classes=len(LABELS))
state = torch.load(WEIGHTS, map_location="cpu")
model.load_state_dict(state["model"] if "model" in state else state)
model.to(DEVICE)
model.eval

preprocess = transforms.Compose([
    transforms.Resize(256),
    transforms.CenterCrop(224),
    transforms.ToTensor(),
    transforms.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225]),
])


@app.get("/healthz")
def healthz():
    return {"status": "ok", "device": str(DEVICE), "classes": len(LABELS)}


@app.post("/predict")
async def predict(file: UploadFile = File(...), topk: int = 5):
    try:
        image = Image.open(io.BytesIO(await file.read())).convert("RGB")
    except UnidentifiedImageError:
        raise HTTPException(status_code=415, detail="not an image")
    batch = preprocess(image).unsqueeze(0).to(DEVICE)
    with torch.inference_mode():
        probs = model(batch).softmax(dim=-1)[0]
    scores, indices = probs.topk(min(topk, len(LABELS)))
    return {
        "predictions": [
            {"label": LABELS[i], "score": round(s, 4)}
            for s, i in zip(scores.tolist(), indices.tolist())
        ]
    }
