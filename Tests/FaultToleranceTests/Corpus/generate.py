#!/usr/bin/env python3
# Regenerates the bad-input corpus (needs PyYAML):
#   python3 Tests/FaultToleranceTests/Corpus/generate.py Tests/FaultToleranceTests/Corpus
# Writes Tests/FaultToleranceTests/Corpus/*.yaml: malformed or contradictory Serin objects.
# Each file: a comment saying what is wrong, `# expect: WORD` (the word the rejection or
# condition message must contain), then the object.
import copy, os, sys, yaml

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
for f in os.listdir(out):
    if f.endswith(".yaml"): os.remove(os.path.join(out, f))

class Raw(str): pass
def raw_repr(d, data): return d.represent_scalar('tag:yaml.org,2002:float', data)
yaml.add_representer(Raw, raw_repr)

BASE_CANARY = {
    "apiVersion": "serin.dev/v1alpha1", "kind": "Canary", "metadata": {"name": "X"},
    "spec": {
        "provider": "istio",
        "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "corpus-target"},
        "service": {"port": 80, "targetPort": 3000},
        "analysis": {"interval": "10s", "threshold": 2, "maxWeight": 50, "stepWeight": 10,
                     "metrics": [{"name": "request-success-rate", "interval": "1m", "thresholdRange": {"min": 99}}]},
    },
}
BASE_TEMPLATE = {
    "apiVersion": "serin.dev/v1alpha1", "kind": "AnalysisTemplate", "metadata": {"name": "X"},
    "spec": {
        "args": [{"name": "service"}],
        "metrics": [{"name": "success-rate", "interval": "10s", "count": 3, "failureLimit": 1,
                     "successCondition": "result[0] >= 0.95",
                     "provider": {"prometheus": {"address": "http://127.0.0.1:9",
                                                 "query": "sum(rate(requests{service=\"{{args.service}}\"}[1m]))"}}}],
    },
}
DELETE = object()

def setp(obj, path, value):
    keys = path.split(".")
    cur = obj
    for k in keys[:-1]:
        cur = cur[int(k)] if isinstance(cur, list) else cur.setdefault(k, {})
    last = keys[-1]
    if isinstance(cur, list):
        cur[int(last)] = value
    elif value is DELETE:
        cur.pop(last, None)
    else:
        cur[last] = value

def nested(depth, leaf, key=None):
    v = leaf
    for _ in range(depth):
        v = {key: v} if key else [v]
    return v

count = 0
def emit(base, name, why, expect, edits):
    global count
    obj = copy.deepcopy(base)
    obj["metadata"]["name"] = name if len(name) < 60 else name
    for path, value in edits:
        setp(obj, path, value)
    if isinstance(obj.get("metadata"), dict) and "name" in obj["metadata"] and name.startswith("X-"):
        pass
    kind = obj["kind"].lower()
    fname = f"{kind}-{name[:50]}.yaml"
    text = f"# {why}\n" + "".join(f"# expect: {e}\n" for e in expect)
    text += yaml.dump(obj, sort_keys=False, default_flow_style=False, width=100000, allow_unicode=True)
    with open(os.path.join(out, fname), "w") as f:
        f.write(text)
    count += 1

def canary(name, why, expect, *edits): emit(BASE_CANARY, name, why, expect, edits)
def template(name, why, expect, *edits): emit(BASE_TEMPLATE, name, why, expect, edits)

# --- Canary: wrong types
canary("stepweight-string", "stepWeight is a word, not a number.", ["stepWeight"], ("spec.analysis.stepWeight", "ten"))
canary("maxweight-bool", "maxWeight is a boolean.", ["maxWeight"], ("spec.analysis.maxWeight", True))
canary("threshold-list", "threshold is a list.", ["threshold"], ("spec.analysis.threshold", [1]))
canary("interval-number", "interval is a bare number (a duration string is required).", ["interval"], ("spec.analysis.interval", 10))
canary("targetref-string", "targetRef is a string instead of an object.", ["targetRef"], ("spec.targetRef", "web"))
canary("port-string", "service.port is a word.", ["port"], ("spec.service.port", "eighty"))
canary("analysis-string", "analysis is a string.", ["analysis"], ("spec.analysis", "yes"))
canary("metrics-object", "metrics is an object, not a list.", ["metrics"], ("spec.analysis.metrics", {"name": "request-success-rate"}))
canary("thresholdrange-min-string", "thresholdRange.min is a word.", ["thresholdRange"], ("spec.analysis.metrics.0.thresholdRange.min", "high"))
canary("webhooks-string", "webhooks is a URL string, not a list of hooks.", ["webhooks"], ("spec.analysis.webhooks", "http://hook.test/"))
canary("skipanalysis-string", "skipAnalysis is 'maybe'.", ["skipAnalysis"], ("spec.skipAnalysis", "maybe"))
canary("suspend-number", "suspend is a number.", ["suspend"], ("spec.suspend", 1))
canary("progressdeadline-string", "progressDeadlineSeconds carries a unit.", ["progressDeadlineSeconds"], ("spec.progressDeadlineSeconds", "600s"))
canary("provider-number", "provider is a number.", ["provider"], ("spec.provider", 42))
canary("hosts-string", "service.hosts is a string, not a list.", ["hosts"], ("spec.service.hosts", "podinfo.example.com"))
canary("stepweights-string", "stepWeights is a comma-separated string.", ["stepWeights"], ("spec.analysis.stepWeight", DELETE), ("spec.analysis.stepWeights", "10,20,30"))
canary("iterations-string", "iterations is a quoted number.", ["iterations"], ("spec.analysis.stepWeight", DELETE), ("spec.analysis.iterations", "3"))
canary("spec-list", "spec is a list.", ["spec"], ("spec", ["provider", "istio"]))
canary("service-missing", "service is missing.", ["service"], ("spec.service", DELETE))
canary("metric-name-number", "a metric name is a number.", ["name"], ("spec.analysis.metrics.0.name", 5))
canary("gatewayrefs-string", "gatewayRefs is a string.", ["gatewayRefs"], ("spec.provider", "gatewayapi:v1"), ("spec.service.gatewayRefs", "public"))
canary("targetport-bool", "targetPort is a boolean (a number or a port name is required).", ["targetPort"], ("spec.service.targetPort", True))
canary("webhook-url-number", "a webhook URL is a number.", ["url"], ("spec.analysis.webhooks", [{"name": "gate", "type": "confirm-rollout", "url": 5}]))
canary("stepweight-fraction", "stepWeight is a fraction.", ["stepWeight"], ("spec.analysis.stepWeight", 10.5))
canary("metrics-item-string", "a metrics item is a string.", ["metrics"], ("spec.analysis.metrics", ["request-success-rate"]))
canary("maxweight-nan", "maxWeight is NaN.", ["maxWeight"], ("spec.analysis.maxWeight", Raw(".nan")))
canary("threshold-infinite", "threshold is infinite.", ["threshold"], ("spec.analysis.threshold", Raw(".inf")))

# --- Canary: negative and out-of-range values
canary("stepweight-negative", "a negative step weight.", ["stepWeight"], ("spec.analysis.stepWeight", -10))
canary("stepweight-zero", "a step weight of zero never advances.", ["stepWeight"], ("spec.analysis.stepWeight", 0))
canary("maxweight-negative", "a negative max weight.", ["maxWeight"], ("spec.analysis.maxWeight", -1))
canary("maxweight-over-100", "max weight above 100%.", ["maxWeight"], ("spec.analysis.maxWeight", 101))
canary("threshold-zero", "threshold 0: rollback before any check.", ["threshold"], ("spec.analysis.threshold", 0))
canary("threshold-negative", "negative threshold.", ["threshold"], ("spec.analysis.threshold", -3))
canary("iterations-negative", "negative iterations (blue/green).", ["iterations"], ("spec.analysis.stepWeight", DELETE), ("spec.analysis.iterations", -3))
canary("progressdeadline-negative", "negative progress deadline.", ["progressDeadlineSeconds"], ("spec.progressDeadlineSeconds", -5))
canary("port-zero", "service port 0.", ["port"], ("spec.service.port", 0))
canary("port-too-big", "service port beyond 65535.", ["port"], ("spec.service.port", 70000))
canary("targetport-zero", "target port 0.", ["targetPort"], ("spec.service.targetPort", 0))
canary("stepweights-negative", "a negative weight in stepWeights.", ["stepWeights"], ("spec.analysis.stepWeight", DELETE), ("spec.analysis.stepWeights", [-5, 10]))
canary("stepweights-decreasing", "stepWeights that go down.", ["stepWeights"], ("spec.analysis.stepWeight", DELETE), ("spec.analysis.stepWeights", [50, 20]))
canary("stepweights-repeated", "stepWeights with a repeated weight.", ["stepWeights"], ("spec.analysis.stepWeight", DELETE), ("spec.analysis.stepWeights", [10, 10, 20]))
canary("stepweights-empty", "an empty stepWeights and no stepWeight.", ["stepWeights"], ("spec.analysis.stepWeight", DELETE), ("spec.analysis.stepWeights", []))
canary("stepweight-over-maxweight", "a step larger than maxWeight.", ["stepWeight"], ("spec.analysis.stepWeight", 60))
canary("stepweight-and-stepweights", "both stepWeight and stepWeights.", ["stepWeight"], ("spec.analysis.stepWeights", [10, 20]))
canary("mirrorweight-150", "mirror weight above 100%.", ["mirrorWeight"], ("spec.analysis.mirror", True), ("spec.analysis.mirrorWeight", 150))
canary("primaryready-101", "primaryReadyThreshold above 100%.", ["primaryReadyThreshold"], ("spec.analysis.primaryReadyThreshold", 101))
canary("canaryready-negative", "negative canaryReadyThreshold.", ["canaryReadyThreshold"], ("spec.analysis.canaryReadyThreshold", -1))
canary("thresholdrange-inverted", "thresholdRange min above max: no value can pass.", ["thresholdRange"], ("spec.analysis.metrics.0.thresholdRange", {"min": 99, "max": 1}))
canary("stepweightpromotion-zero", "stepWeightPromotion 0 never finishes the promotion.", ["stepWeightPromotion"], ("spec.analysis.stepWeightPromotion", 0))
canary("webhook-retries-negative", "negative webhook retries.", ["retries"], ("spec.analysis.webhooks", [{"name": "load", "type": "rollout", "url": "http://hook.test/", "retries": -1}]))
canary("percentile-above-one", "request-duration percentile 1.5.", ["percentile"], ("spec.analysis.metrics", [{"name": "request-duration", "interval": "1m", "percentile": 1.5, "thresholdRange": {"max": 500}}]))
canary("confidence-two", "compare judge with confidence 2.", ["confidence"], ("spec.analysis.metrics", [{"name": "request-duration", "interval": "1m", "judge": "compare", "confidence": 2}]))

# --- Canary: unknown providers and kinds
canary("provider-knative", "a provider Serin does not implement.", ["provider"], ("spec.provider", "knative"))
canary("provider-empty", "an empty provider.", ["provider"], ("spec.provider", ""))
canary("provider-gatewayapi-v9", "a Gateway API version that does not exist.", ["provider"], ("spec.provider", "gatewayapi:v9"))
canary("provider-capitalised", "provider spelled Istio.", ["provider"], ("spec.provider", "Istio"))
canary("metric-not-builtin", "a metric that is neither builtin nor has a query or template.", ["metrics[0]", "request-successrate"], ("spec.analysis.metrics.0.name", "request-successrate"))
canary("metric-template-missing", "a metric template that does not exist.", ["no-such-template"], ("spec.analysis.metrics", [{"name": "custom", "interval": "1m", "templateRef": {"name": "no-such-template"}, "thresholdRange": {"min": 1}}]))
canary("kubernetes-with-stepweight", "provider kubernetes cannot split traffic by weight.", ["provider"], ("spec.provider", "kubernetes"))
canary("kubernetes-ab-testing", "provider kubernetes cannot route by header.", ["match"], ("spec.provider", "kubernetes"), ("spec.analysis.stepWeight", DELETE), ("spec.analysis.iterations", 5), ("spec.analysis.match", [{"headers": {"x-canary": {"exact": "insider"}}}]))
canary("kubernetes-mirror", "provider kubernetes cannot mirror.", ["mirror"], ("spec.provider", "kubernetes"), ("spec.analysis.stepWeight", DELETE), ("spec.analysis.iterations", 5), ("spec.analysis.mirror", True))
canary("gatewayapi-no-gatewayrefs", "provider gatewayapi without a Gateway to attach to.", ["gatewayRefs"], ("spec.provider", "gatewayapi:v1"))
canary("autoscaler-wrong-kind", "autoscalerRef points at a Deployment.", ["autoscalerRef"], ("spec.autoscalerRef", {"apiVersion": "apps/v1", "kind": "Deployment", "name": "corpus-target"}))

# --- Canary: missing or wrong targets
canary("targetref-missing", "no targetRef at all.", ["targetRef"], ("spec.targetRef", DELETE))
canary("targetref-no-name", "targetRef without a name.", ["targetRef"], ("spec.targetRef", {"apiVersion": "apps/v1", "kind": "Deployment"}))
canary("targetref-empty-name", "targetRef with an empty name.", ["targetRef"], ("spec.targetRef.name", ""))
canary("targetref-statefulset", "a StatefulSet target.", ["targetRef"], ("spec.targetRef.kind", "StatefulSet"))
canary("targetref-pod", "a Pod target.", ["targetRef"], ("spec.targetRef", {"apiVersion": "v1", "kind": "Pod", "name": "corpus-target"}))
canary("targetref-not-found", "a Deployment that does not exist.", ["no-such-deployment"], ("spec.targetRef.name", "no-such-deployment"))

# --- Canary: values that do not parse
canary("interval-words", "an interval in words.", ["interval"], ("spec.analysis.interval", "10 minutes"))
canary("interval-negative", "a negative interval.", ["interval"], ("spec.analysis.interval", "-5s"))
canary("interval-too-short", "an interval under 10s.", ["interval"], ("spec.analysis.interval", "5s"))
canary("interval-empty", "an empty interval.", ["interval"], ("spec.analysis.interval", ""))
canary("interval-unit-only", "a unit without a number.", ["interval"], ("spec.analysis.interval", "s"))
canary("metric-interval-junk", "a metric window that is not a duration.", ["interval"], ("spec.analysis.metrics.0.interval", "abc"))
canary("webhook-url-junk", "a webhook URL that is not a URL.", ["url"], ("spec.analysis.webhooks", [{"name": "gate", "type": "confirm-rollout", "url": "::not a url"}]))
canary("webhook-type-unknown", "a webhook type Flagger does not have.", ["type"], ("spec.analysis.webhooks", [{"name": "gate", "type": "sometimes", "url": "http://hook.test/"}]))
canary("webhook-timeout-forever", "a webhook timeout that is not a duration.", ["timeout"], ("spec.analysis.webhooks", [{"name": "gate", "type": "rollout", "url": "http://hook.test/", "timeout": "forever"}]))
canary("service-timeout-junk", "a route timeout that is not a duration.", ["timeout"], ("spec.service.timeout", "soonish"))
canary("query-template-unclosed", "an inline query with an unclosed placeholder.", ["query", "{{"], ("spec.analysis.metrics", [{"name": "custom", "interval": "1m", "query": "sum(rate(requests{app=\"{{ target\"}[1m]))", "thresholdRange": {"min": 1}}]))
canary("ab-match-not-list", "A/B match written as an object.", ["match"], ("spec.analysis.stepWeight", DELETE), ("spec.analysis.iterations", 5), ("spec.analysis.match", {"headers": {"x-canary": {"exact": "insider"}}}))

# --- Canary: enormous values
canary("stepweight-enormous", "a step weight of 10^18.", ["stepWeight"], ("spec.analysis.stepWeight", 10**18))
canary("maxweight-int64-max", "maxWeight at the int64 limit.", ["maxWeight"], ("spec.analysis.maxWeight", 9223372036854775807))
canary("threshold-beyond-int64", "a threshold no 64-bit integer holds.", ["threshold"], ("spec.analysis.threshold", 99999999999999999999999))
canary("interval-enormous", "an interval of 10^17 hours.", ["interval"], ("spec.analysis.interval", "99999999999999999h"))
canary("progressdeadline-enormous", "a progress deadline of 10^20 seconds.", ["progressDeadlineSeconds"], ("spec.progressDeadlineSeconds", 10**20))
canary("port-enormous", "a port of 10^12.", ["port"], ("spec.service.port", 10**12))
canary("name-too-long", "a name longer than 253 characters.", ["name"], ("metadata.name", "n" * 300))
canary("stepweights-thousand", "a thousand step weights, most beyond 100%.", ["stepWeights"], ("spec.analysis.stepWeight", DELETE), ("spec.analysis.stepWeights", list(range(1, 1001))))
canary("metrics-five-hundred", "five hundred metrics that are not builtin.", ["metrics"], ("spec.analysis.metrics", [{"name": f"m{i}", "interval": "1m"} for i in range(500)]))
canary("provider-200k", "a 200 KB provider name.", ["provider"], ("spec.provider", "x" * 200000))

# --- Canary: deeply nested junk
canary("metrics-nested-lists", "metrics nested 100 lists deep.", ["metrics"], ("spec.analysis.metrics", nested(100, {"name": "request-success-rate"})))
canary("targetref-name-nested", "targetRef.name nested 100 objects deep.", ["targetRef"], ("spec.targetRef.name", nested(100, "web", key="name")))
canary("junk-field-and-bad-weight", "an unknown field 200 levels deep (pruned) next to a real error.", ["stepWeight"], ("spec.junk", nested(200, 1, key="j")), ("spec.analysis.stepWeight", -1))
canary("thresholdrange-nested", "thresholdRange.min nested 50 lists deep.", ["thresholdRange"], ("spec.analysis.metrics.0.thresholdRange.min", nested(50, 1)))

# --- Canary: contradictions
canary("no-plan", "neither stepWeight, stepWeights nor iterations.", ["analysis"], ("spec.analysis.stepWeight", DELETE))
canary("metric-names-repeated", "two metrics with the same name.", ["metrics[1]"], ("spec.analysis.metrics", [{"name": "request-success-rate", "interval": "1m", "thresholdRange": {"min": 99}}, {"name": "request-success-rate", "interval": "1m", "thresholdRange": {"min": 90}}]))
canary("webhook-names-repeated", "two webhooks with the same name.", ["webhooks[1]"], ("spec.analysis.webhooks", [{"name": "gate", "type": "rollout", "url": "http://hook.test/"}, {"name": "gate", "type": "rollout", "url": "http://hook.test/2"}]))
canary("metric-name-empty", "a metric with an empty name.", ["metrics[0]"], ("spec.analysis.metrics.0.name", ""))
canary("webhook-name-empty", "a webhook with an empty name.", ["webhooks[0]"], ("spec.analysis.webhooks", [{"name": "", "type": "rollout", "url": "http://hook.test/"}]))

# --- AnalysisTemplate
template("metrics-not-list", "metrics is an object.", ["metrics"], ("spec.metrics", {"name": "x"}))
template("metrics-empty", "no metrics.", ["metrics"], ("spec.metrics", []))
template("metric-no-name", "a metric without a name.", ["name"], ("spec.metrics.0.name", DELETE))
template("count-string", "count in words.", ["count"], ("spec.metrics.0.count", "three"))
template("interval-number", "interval as a bare number.", ["interval"], ("spec.metrics.0.interval", 10))
template("successcondition-number", "successCondition is a number.", ["successCondition"], ("spec.metrics.0.successCondition", 42))
template("no-provider", "a metric without a provider.", ["provider"], ("spec.metrics.0.provider", DELETE))
template("prometheus-no-query", "a Prometheus provider without a query.", ["query"], ("spec.metrics.0.provider.prometheus.query", DELETE))
template("provider-plugin", "a provider Serin does not implement.", ["provider"], ("spec.metrics.0.provider", {"plugin": {"argoproj-labs/sample-prometheus": {"address": "http://prometheus.local", "query": "vector(1)"}}}))
template("condition-trailing-operator", "a condition that ends in an operator.", ["successCondition"], ("spec.metrics.0.successCondition", "result[0] >= "))
template("condition-bad-operator", "a condition with an operator that does not exist.", ["successCondition"], ("spec.metrics.0.successCondition", "result[0] >>= 1"))
template("condition-unclosed-closure", "a predicate whose closure is not closed.", ["successCondition"], ("spec.metrics.0.successCondition", "all(result, {# < 1)"))
template("failurecondition-junk", "a failure condition with ===.", ["failureCondition"], ("spec.metrics.0.failureCondition", "result[0] === 1"))
template("condition-deep-parens", "a condition nested 500 parentheses deep.", ["successCondition"], ("spec.metrics.0.successCondition", "(" * 500 + "result[0]" + ")" * 500 + " > 1"))
template("condition-unterminated-string", "a string literal without its closing quote.", ["successCondition"], ("spec.metrics.0.successCondition", "result[0] == \"up"))
template("undeclared-argument", "the query uses an argument the template does not declare.", ["missing"], ("spec.metrics.0.provider.prometheus.query", "sum(x{svc=\"{{args.missing}}\"})"))
template("failurelimit-negative", "a negative failure limit.", ["failureLimit"], ("spec.metrics.0.failureLimit", -1))
template("count-negative", "a negative count.", ["count"], ("spec.metrics.0.count", -2))
template("interval-junk", "an interval that is not a duration.", ["interval"], ("spec.metrics.0.interval", "soon"))
template("initialdelay-junk", "an initial delay that is not a duration.", ["initialDelay"], ("spec.metrics.0.initialDelay", "x"))
template("consecutiveerrorlimit-negative", "a negative consecutive error limit.", ["consecutiveErrorLimit"], ("spec.metrics.0.consecutiveErrorLimit", -1))
template("inconclusivelimit-string", "an inconclusive limit in words.", ["inconclusiveLimit"], ("spec.metrics.0.inconclusiveLimit", "a"))
template("count-beyond-int64", "a count no 64-bit integer holds.", ["count"], ("spec.metrics.0.count", 10**30))
template("interval-enormous", "an interval of 10^17 hours.", ["interval"], ("spec.metrics.0.interval", "99999999999999999h"))
template("metric-names-repeated", "two metrics with the same name.", ["success-rate", "metric names must be unique"], ("spec.metrics", [copy.deepcopy(BASE_TEMPLATE["spec"]["metrics"][0]), copy.deepcopy(BASE_TEMPLATE["spec"]["metrics"][0])]))
template("args-not-list", "args is an object.", ["args"], ("spec.args", {"service": "web"}))
template("arg-no-name", "an argument without a name.", ["args"], ("spec.args", [{"value": "web"}]))
template("query-nested", "the query nested 100 objects deep.", ["query"], ("spec.metrics.0.provider.prometheus.query", nested(100, "up", key="q")))
template("count-without-interval", "several measurements with no interval between them.", ["interval"], ("spec.metrics.0.interval", DELETE))
template("metric-name-list", "a metric name that is a list.", ["name"], ("spec.metrics.0.name", ["a"]))
template("prometheus-string", "the prometheus provider as a string.", ["prometheus"], ("spec.metrics.0.provider.prometheus", "http://prometheus:9090"))
template("address-number", "a Prometheus address that is a number.", ["address"], ("spec.metrics.0.provider.prometheus.address", 9090))
template("query-placeholder-unclosed", "a query whose placeholder is not closed.", ["query", "{{"], ("spec.metrics.0.provider.prometheus.query", "sum(x{svc=\"{{args.service\"})"))
template("metrics-missing", "no metrics field at all.", ["metrics"], ("spec.metrics", DELETE))



BASE_ROLLOUT = {
    "apiVersion": "serin.dev/v1alpha1", "kind": "Rollout", "metadata": {"name": "X"},
    "spec": {
        "replicas": 2,
        "selector": {"matchLabels": {"app": "corpus-rollout"}},
        "template": {"metadata": {"labels": {"app": "corpus-rollout"}},
                     "spec": {"containers": [{"name": "app", "image": "app:1"}]}},
        "strategy": {"canary": {"steps": [{"setWeight": 20}, {"pause": {"duration": "10s"}}, {"setWeight": 50}]}},
    },
}
def rollout(name, why, expect, *edits): emit(BASE_ROLLOUT, name, why, expect, edits)
rollouts_from = count
rollout("replicas-string", "replicas in words.", ["replicas"], ("spec.replicas", "two"))
rollout("replicas-negative", "negative replicas.", ["replicas"], ("spec.replicas", -1))
rollout("replicas-enormous", "replicas no 64-bit integer holds.", ["replicas"], ("spec.replicas", 10**30))
rollout("strategy-empty", "a strategy that names none.", ["strategy"], ("spec.strategy", {}))
rollout("strategy-both", "both canary and blueGreen.", ["strategy"], ("spec.strategy.blueGreen", {"activeService": "web-active"}))
rollout("setweight-150", "a weight above 100%.", ["setWeight"], ("spec.strategy.canary.steps.0.setWeight", 150))
rollout("setweight-negative", "a negative weight.", ["setWeight"], ("spec.strategy.canary.steps.0.setWeight", -10))
rollout("setweight-string", "a weight in words.", ["setWeight"], ("spec.strategy.canary.steps.0.setWeight", "half"))
rollout("pause-duration-words", "a pause that is not a duration.", ["pause"], ("spec.strategy.canary.steps.1.pause.duration", "a while"))
rollout("pause-duration-negative", "a negative pause.", ["pause"], ("spec.strategy.canary.steps.1.pause.duration", "-10s"))
rollout("steps-not-list", "steps as a single object.", ["steps"], ("spec.strategy.canary.steps", {"setWeight": 20}))
rollout("selector-missing", "no selector.", ["selector"], ("spec.selector", DELETE))
rollout("selector-empty", "a selector that selects everything.", ["selector"], ("spec.selector", {"matchLabels": {}}))
rollout("template-labels-mismatch", "pod labels the selector does not match.", ["template.metadata.labels"], ("spec.template.metadata.labels", {"app": "other"}))
rollout("template-missing", "neither template nor workloadRef.", ["template"], ("spec.template", DELETE))
rollout("containers-empty", "a pod without containers.", ["containers"], ("spec.template.spec.containers", []))
rollout("container-name-empty", "a container without a name.", ["containers[0].name"], ("spec.template.spec.containers.0.name", ""))
rollout("workloadref-and-template", "both workloadRef and template.", ["workloadRef"], ("spec.workloadRef", {"apiVersion": "apps/v1", "kind": "Deployment", "name": "corpus-target"}))
rollout("workloadref-statefulset", "workloadRef to a StatefulSet.", ["workloadRef"], ("spec.template", DELETE), ("spec.workloadRef", {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "db"}))
rollout("workloadref-scaledown-junk", "an unknown scaleDown mode.", ["scaleDown"], ("spec.template", DELETE), ("spec.workloadRef", {"apiVersion": "apps/v1", "kind": "Deployment", "name": "corpus-target", "scaleDown": "sometimes"}))
rollout("bluegreen-no-activeservice", "blue/green without an active Service.", ["activeService"], ("spec.strategy", {"blueGreen": {"previewService": "web-preview"}}))
rollout("bluegreen-preview-is-active", "the preview Service is the active one.", ["previewService"], ("spec.strategy", {"blueGreen": {"activeService": "web", "previewService": "web"}}))
rollout("bluegreen-autopromotion-negative", "negative auto-promotion delay.", ["autoPromotionSeconds"], ("spec.strategy", {"blueGreen": {"activeService": "web", "autoPromotionSeconds": -30}}))
rollout("analysis-templates-empty", "an analysis step with no templates.", ["templates"], ("spec.strategy.canary.steps", [{"setWeight": 20}, {"analysis": {"templates": []}}]))
rollout("analysis-templatename-empty", "an analysis template without a name.", ["templateName"], ("spec.strategy.canary.steps", [{"setWeight": 20}, {"analysis": {"templates": [{"templateName": ""}]}}]))
rollout("analysis-arg-twice", "the same argument given twice.", ["args"], ("spec.strategy.canary.steps", [{"setWeight": 20}, {"analysis": {"templates": [{"templateName": "t"}], "args": [{"name": "a", "value": "1"}, {"name": "a", "value": "2"}]}}]))
rollout("analysis-podtemplatehash-junk", "a podTemplateHashValue that is neither Stable nor Latest.", ["podTemplateHashValue"], ("spec.strategy.canary.steps", [{"setWeight": 20}, {"analysis": {"templates": [{"templateName": "t"}], "args": [{"name": "hash", "valueFrom": {"podTemplateHashValue": "Newest"}}]}}]))
rollout("maxsurge-and-maxunavailable-zero", "an update that can neither add nor remove a pod.", ["maxUnavailable"], ("spec.strategy.canary.maxSurge", 0), ("spec.strategy.canary.maxUnavailable", 0))
rollout("setcanaryscale-without-routing", "setCanaryScale with no traffic routing.", ["setCanaryScale"], ("spec.strategy.canary.steps", [{"setCanaryScale": {"replicas": 1}}, {"setWeight": 20}]))
rollout("experiment-step", "an experiment step weighting traffic to its Service (not supported yet).", ["weight"], ("spec.strategy.canary.steps", [{"experiment": {"templates": [{"name": "e", "specRef": "canary", "weight": 20}]}}]))
rollout("progressdeadline-negative", "a negative progress deadline.", ["progressDeadlineSeconds"], ("spec.progressDeadlineSeconds", -5))
rollout("progressdeadline-below-minready", "a deadline shorter than minReadySeconds.", ["progressDeadlineSeconds"], ("spec.progressDeadlineSeconds", 5), ("spec.minReadySeconds", 10))
rollout("restartat-words", "restartAt that is not a time.", ["restartAt"], ("spec.restartAt", "yesterday"))
rollout("revisionhistory-negative", "a negative revision history.", ["revisionHistoryLimit"], ("spec.revisionHistoryLimit", -1))
rollout("istio-no-virtualservice", "Istio routing without a VirtualService.", ["virtualService"], ("spec.strategy.canary.trafficRouting", {"istio": {}}))
rollout("stable-is-canary-service", "the stable Service is the canary one.", ["stableService"], ("spec.strategy.canary.stableService", "web"), ("spec.strategy.canary.canaryService", "web"))
rollout("steps-thousand", "a thousand steps, most beyond 100%.", ["setWeight"], ("spec.strategy.canary.steps", [{"setWeight": i} for i in range(1, 1001)]))
rollout("containers-nested", "containers nested 100 lists deep.", ["containers"], ("spec.template.spec.containers", nested(100, {"name": "app", "image": "app:1"})))
rollout("pause-duration-enormous", "a pause of 10^17 hours.", ["pause"], ("spec.strategy.canary.steps.1.pause.duration", "99999999999999999h"))
print(count, "entries,", count - rollouts_from, "of them Rollouts")
