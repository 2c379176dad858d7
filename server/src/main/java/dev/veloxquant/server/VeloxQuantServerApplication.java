package dev.veloxquant.server;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** The OpenAI-compatible VeloxQuant server. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class VeloxQuantServerApplication {

    public static void main(String[] args) {
        SpringApplication.run(VeloxQuantServerApplication.class, args);
    }
}
