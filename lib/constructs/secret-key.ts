import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

/** Every character that is not a lowercase hex digit among the letters Secrets Manager may pick. */
const NON_HEX_LOWERCASE_LETTERS = 'ghijklmnopqrstuvwxyz';

export interface SecretKeyProps {
  /**
   * What happens to the key when it leaves the stack. Losing it makes every stored webhook secret
   * undecryptable, so only throw-away development stacks should use DESTROY.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The AES-256 key (64 lowercase hex characters) that encrypts webhook signing secrets at rest in
 * DynamoDB. Secrets Manager generates it at deploy time, so it never exists in code or templates.
 */
export class SecretKey extends Construct {
  readonly secret: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: SecretKeyProps = {}) {
    super(scope, id);
    this.secret = new secretsmanager.Secret(this, 'Secret', {
      description: 'encrata-webhooks: AES-256 key (64 lowercase hex) encrypting webhook signing secrets',
      generateSecretString: {
        passwordLength: 64,
        excludeUppercase: true,
        excludePunctuation: true,
        includeSpace: false,
        excludeCharacters: NON_HEX_LOWERCASE_LETTERS,
      },
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });

    Validations.of(this.secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'No automatic rotation: webhook secrets are encrypted with this key, and a rotated value would leave every stored secret undecryptable. Rotating needs a re-encryption migration.',
    });
  }

  /** The ARN the functions receive (ENCRATA_SECRET_KEY_ARN) to fetch the key at cold start. */
  get secretArn(): string {
    return this.secret.secretArn;
  }

  /**
   * Lets `grantee` read the key: `secretsmanager:GetSecretValue` on this secret, the one call the code
   * makes (`grantRead` would add DescribeSecret). The secret is encrypted with the AWS managed key, whose
   * policy lets Secrets Manager decrypt for any principal allowed to read the secret.
   */
  grantRead(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['secretsmanager:GetSecretValue'],
      resourceArns: [this.secret.secretArn],
    });
  }
}
