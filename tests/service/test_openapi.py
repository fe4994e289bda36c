"""The OpenAPI document: it parses, is served, and lists every path the service has."""

from __future__ import annotations

import re

import yaml
from django.urls import reverse

from django_lifecheck.service.urls import urlpatterns


def load(client) -> dict:
    response = client.get(reverse("lifecheck:api-openapi"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/yaml")
    return yaml.safe_load(response.content.decode())


def test_document_is_openapi_31_and_lists_every_path(client):
    document = load(client)
    assert document["openapi"].startswith("3.1")
    documented = set(document["paths"])
    routes = {"/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", str(p.pattern)) for p in urlpatterns}
    assert routes == documented


def test_every_reference_resolves(client):
    document = load(client)

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "$ref":
                    target = document
                    for part in value.removeprefix("#/").split("/"):
                        target = target[part]
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(document)


def test_api_operations_document_their_parameters(client):
    paths = load(client)["paths"]
    form = "application/x-www-form-urlencoded"
    init = paths["/api/init"]["post"]["requestBody"]["content"][form]["schema"]
    assert set(init["properties"]) == {"returnUrl", "colors", "actions"}
    result = paths["/api/result"]["post"]["requestBody"]["content"][form]["schema"]
    assert result["required"] == ["token"]
