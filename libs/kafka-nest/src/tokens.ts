/** Injection tokens of the Kafka module. */
export const KAFKA_CLIENT = Symbol('KAFKA_CLIENT');
export const KAFKA_CONFIG = Symbol('KAFKA_CONFIG');
export const SERVICE_LOGGER = Symbol('SERVICE_LOGGER');
