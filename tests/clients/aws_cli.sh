#!/bin/sh
# The AWS CLI v1 against moto-bedrock: AWS_ENDPOINT_URL points every command at the server,
# and the model id is written as AWS writes it, with its raw ":".
#
#   AWS_ENDPOINT_URL=http://127.0.0.1:5000 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test \
#   AWS_DEFAULT_REGION=us-east-1 sh tests/clients/aws_cli.sh OUT_DIR
#
# Each command's JSON answer is written to OUT_DIR (tests/test_clients_python.py reads them).
set -eu
out=$1

aws bedrock-runtime converse \
  --model-id anthropic.claude-3-haiku-20240307-v1:0 \
  --messages '[{"role": "user", "content": [{"text": "Name three rivers in Europe."}]}]' \
  > "$out/converse.json"

# AWS CLI v1 sends a blob given on the command line as is (v2 would need
# --cli-binary-format raw-in-base64-out); the model's answer goes to the named file.
aws bedrock-runtime invoke-model \
  --model-id amazon.titan-embed-text-v2:0 \
  --body '{"inputText": "The cat sat on the mat."}' \
  "$out/embedding.json" > "$out/invoke-model.json"

aws bedrock list-foundation-models --by-provider anthropic > "$out/foundation-models.json"
