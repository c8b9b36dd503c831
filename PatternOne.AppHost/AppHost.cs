using PatternOne.AppHost.Gateway;
using PatternOne.AppHost.Inference;
using PatternOne.AppHost.Operations;
using PatternOne.AppHost.Publishing;
using PatternOne.AppHost.Recovery;
using PatternOne.AppHost.Scheduling;
using PatternOne.AppHost.Tls;

// The seed's "istio-kserve-pattern1" stack:  client ─TLS─▶ gateway ─ext_proc─▶ scheduler,  gateway ─▶ chosen vLLM replica.
var builder = DistributedApplication.CreateBuilder(args);

// vLLM serving Qwen2.5-3B-Instruct on a TPU v6e 2x2 slice; locally, simulator processes stand in for the replicas.
var pool = builder.AddVllmPool("qwen2-3b-pattern1", model: "Qwen/Qwen2.5-3B-Instruct")
    .WithTpu(TpuAccelerator.V6e(topology: "2x2"))
    .WithVllmArgs("--dtype=half", "--max-model-len=2048", "--tensor-parallel-size=4");

// The endpoint picker: chooses a replica per request by queue depth, KV-cache use and prefix-cache affinity.
var scheduler = builder.AddProject<Projects.PatternOne_Scheduler>("scheduler")
    .AsEndpointPicker(pool);

// The ingress gateway: TLS termination (cert-manager's inference-gateway-tls), path routing, per-request picking.
var certificate = builder.AddGatewayCertificate("inference-gateway-tls");
builder.AddProject<Projects.PatternOne_Gateway>("gateway")
    .AsInferenceGateway()
    .WithTlsCertificate(certificate)
    .WithInferenceRoute("/llm-d-inference-scheduling/qwen2-3b-pattern1/", pool, scheduler);

// Live figures and one-click commands on the dashboard (run mode only).
builder.AddOperatorTools();

// A replica or the scheduler that exits on its own comes back, with backoff, as a pod would (run mode only).
builder.AddLocalRecovery();

// `--operation publish --step publish`: the same model as Kubernetes manifests in aspirate-output/.
builder.AddKubernetesPublisher();

builder.Build().Run();
