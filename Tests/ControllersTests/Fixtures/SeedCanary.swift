/// ../shared/examples/seed-canary.yaml, the reference manifest (only apiVersion differs from
/// the Flagger original). Kept here so the tests do not depend on a path outside the repository.
enum SeedCanary {
    static let yaml = """
        # A canary of user-service, progressive traffic shifting through an Istio gateway.
        # Shape of the reference manifest this project was specified with; only apiVersion differs.
        apiVersion: serin.dev/v1alpha1
        kind: Canary
        metadata:
          name: user-service-canary
          namespace: microservices
        spec:
          targetRef:
            apiVersion: apps/v1
            kind: Deployment
            name: user-service
          autoscalerRef:
            apiVersion: autoscaling/v2
            kind: HorizontalPodAutoscaler
            name: user-service
          service:
            port: 80
            targetPort: 3000
            gateways:
            - public-gateway.istio-system.svc.cluster.local
            hosts:
            - api.mycompany.com
            trafficPolicy:
              tls:
                mode: DISABLE
          analysis:
            interval: 1m
            threshold: 10
            maxWeight: 50
            stepWeight: 5
            metrics:
            - name: request-success-rate
              thresholdRange:
                min: 99
              interval: 1m
            - name: request-duration
              thresholdRange:
                max: 500
              interval: 1m
            - name: error-rate
              thresholdRange:
                max: 1
              interval: 1m
            webhooks:
            - name: integration-tests
              url: http://test-runner.microservices.svc.cluster.local/
              timeout: 30s
              metadata:
                type: bash
                cmd: "curl -sd 'test' http://user-service-canary/api/health"
            - name: load-test
              url: http://test-runner.microservices.svc.cluster.local/
              timeout: 5m
              metadata:
                type: bash
                cmd: "hey -z 5m -q 10 -c 2 http://user-service-canary/api/users"
        """
}
